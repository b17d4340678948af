#!/usr/bin/env python3
"""A minimal WebSocket server for the player's browser tests (Python standard library only).

Every WebSocket connection gets the fixture file as binary messages of 1000 bytes, 5 ms apart,
and is then closed (code 1000), so that the player's reconnection and stream reset are
exercised. A plain HTTP GET of /slow.ts sends the same file slowly (1000 bytes every 30 ms,
no Content-Length), to check that playback starts before a download ends.

    ws_server.py PORT FILE
"""
import base64
import hashlib
import socketserver
import struct
import sys
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def frame(opcode, payload):
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 65536:
        head += bytes([126]) + struct.pack(">H", n)
    else:
        head += bytes([127]) + struct.pack(">Q", n)
    return head + payload


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        key = None
        request = self.rfile.readline().decode("latin-1").split()
        while True:
            line = self.rfile.readline()
            if not line or line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "sec-websocket-key":
                key = value.strip().encode()
        if key is None:
            if len(request) >= 2 and request[1] == "/slow.ts":
                self.slow_download()
            else:
                self.wfile.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            return
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        self.wfile.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        data = self.server.data
        try:
            for i in range(0, len(data), 1000):
                self.wfile.write(frame(0x2, data[i : i + 1000]))
                self.wfile.flush()
                time.sleep(0.005)
            self.wfile.write(frame(0x8, struct.pack(">H", 1000)))
            self.wfile.flush()
            time.sleep(0.1)
        except OSError:
            pass


    def slow_download(self):
        self.wfile.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\n"
            b"Access-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n"
        )
        data = self.server.data
        try:
            for i in range(0, len(data), 1000):
                self.wfile.write(data[i : i + 1000])
                self.wfile.flush()
                time.sleep(0.03)
        except OSError:
            pass


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    with Server(("127.0.0.1", port), Handler) as server:
        server.data = open(path, "rb").read()
        server.serve_forever()


if __name__ == "__main__":
    main()
