#!/usr/bin/env python3
"""End-to-end browser tests of the built player package in headless Chromium.

Drives Chromium through chromedriver's WebDriver HTTP API (standard library only):

* a static server on 127.0.0.1 serves the repository (the package in www/pkg, the test pages
  in player-wasm/tests/e2e/, a colour file made by ffmpeg);
* the real relay (built by the caller) publishes its demo stream on another port.

Checks: a file plays in a Worker with an OffscreenCanvas (colours read back from a screenshot,
currentTime advancing, `ended`), a 404 raises `error`, the live demo page plays (its screenshot
is saved as tests/out/demo.png for a reviewer), and the live latency stays bounded when the tab
is hidden and shown again (with and without pauseWhenHidden).

Usage: run.py RELAY_BINARY CHROMEDRIVER COLOUR_TS
"""

import http.server
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT = os.path.join(ROOT, "tests", "out")
# The colour of the test file (see scripts/test-player.sh), as RGB after BT.601 conversion.
EXPECTED_RGB = (48, 80, 160)
TOLERANCE = 12
failures = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


RANGE_REQUESTS = []
# Bytes per second of the throttled file (see do_GET).
SLOW_RATE = 80_000


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files; /tests/out/long.ts is served slowly (SLOW_RATE) with Range support, like a
    big file on a slow link."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".js": "text/javascript",
                      ".mjs": "text/javascript", ".ts": "video/mp2t"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=ROOT, **kwargs)

    def log_message(self, *args):
        pass

    def do_GET(self):
        if not self.path.startswith("/tests/out/long.ts"):
            return super().do_GET()
        data = open(os.path.join(OUT, "long.ts"), "rb").read()
        start, end, status = 0, len(data), 200
        wanted = self.headers.get("Range", "")
        if wanted.startswith("bytes="):
            RANGE_REQUESTS.append(wanted)
            first, _, last = wanted[6:].partition("-")
            if first == "":
                start = max(0, len(data) - int(last))
            else:
                start = min(int(first), len(data))
                end = min(int(last) + 1, len(data)) if last else len(data)
            status = 206
        self.send_response(status)
        self.send_header("Content-Type", "video/mp2t")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        self.end_headers()
        # The tail (a suffix range) comes at once; the rest at SLOW_RATE.
        fast = wanted.startswith("bytes=-")
        step = SLOW_RATE // 10
        try:
            for at in range(start, end, step):
                self.wfile.write(data[at:min(at + step, end)])
                self.wfile.flush()
                if not fast:
                    time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the player aborted this download


class WebDriver:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        caps = json.load(open(os.path.join(ROOT, "player-wasm", "webdriver.json")))
        caps["goog:chromeOptions"]["args"].append("--window-size=800,600")
        binary = os.environ.get("CHROME_BIN") or next(
            (p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
             if os.path.exists(p)), None)
        if binary:
            caps["goog:chromeOptions"]["binary"] = binary
        r = self.call("POST", "/session", {"capabilities": {"alwaysMatch": caps}})
        self.session = r["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read() or b"{}").get("value")

    def s(self, method, path, body=None):
        return self.call(method, f"/session/{self.session}{path}", body)

    def go(self, url):
        self.s("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def screenshot(self):
        import base64
        return base64.b64decode(self.s("GET", "/screenshot"))

    def quit(self):
        try:
            self.call("DELETE", f"/session/{self.session}")
        except Exception:
            pass


def png_pixels(png):
    """Decodes an 8-bit RGB/RGBA PNG (what Chromium writes) into (width, height, rows)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        chunk = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, [[tuple(r[x * bpp:x * bpp + 3]) for x in range(width)] for r in rows]


def check(name, ok, detail=""):
    print(f"  {'ok  ' if ok else 'FAIL'} {name}{(': ' + detail) if detail else ''}")
    if not ok:
        failures.append(name)


def wait_for(driver, script, timeout, *args):
    end = time.time() + timeout
    value = None
    while time.time() < end:
        try:
            value = driver.js(script, *args)
        except urllib.error.HTTPError:
            value = None  # the page is still loading (its globals are not defined yet)
        if value:
            return value
        time.sleep(0.1)
    return value


def element_rect(driver, selector):
    return driver.js("const e = document.querySelector(arguments[0]); e.scrollIntoView();"
                     "const r = e.getBoundingClientRect();"
                     "return [r.left, r.top, r.width, r.height, window.devicePixelRatio];", selector)


def main():
    relay_bin, chromedriver, colour_ts = sys.argv[1:4]
    os.makedirs(OUT, exist_ok=True)
    http_port, relay_port, driver_port = free_port(), free_port(), free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", http_port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    relay = subprocess.Popen([relay_bin, "--listen", f"127.0.0.1:{relay_port}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cd = subprocess.Popen([chromedriver, f"--port={driver_port}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver = None
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{driver_port}/status", timeout=1)
                urllib.request.urlopen(f"http://127.0.0.1:{relay_port}/healthz", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        driver = WebDriver(driver_port)
        page = f"http://127.0.0.1:{http_port}/player-wasm/tests/e2e/page.html"
        colour_url = "/" + os.path.relpath(colour_ts, ROOT)

        print("file in a worker:")
        driver.go(f"{page}?src={colour_url}")
        wait_for(driver, "return window.ready === true", 20)
        state = wait_for(driver, "return window.log.includes('ended') && window.state()", 20)
        state = driver.js("return window.state()")
        check("the player runs in a worker", state["inWorker"] is True, json.dumps(state))
        check("WebGL renders in the worker", state["renderer"] in ("webgl2", "webgl"), state["renderer"])
        check("`ended` fires", "ended" in state["log"], str(state["log"]))
        check("currentTime advanced to the end", state["maxTime"] > 1.5, str(state["maxTime"]))
        check("frames were shown", state["stats"]["framesShown"] >= 40, str(state["stats"]))
        png = driver.screenshot()
        open(os.path.join(OUT, "worker-file.png"), "wb").write(png)
        w, h, px = png_pixels(png)
        x, y, cw, ch, dpr = element_rect(driver, "canvas")
        centre = px[int((y + ch / 2) * dpr)][int((x + cw / 2) * dpr)]
        close = all(abs(a - b) <= TOLERANCE for a, b in zip(centre, EXPECTED_RGB))
        check("the picture has the file's colour", close, f"{centre} vs {EXPECTED_RGB}")

        print("seek far into a slow file (Range requests):")
        driver.go(f"{page}?src=/tests/out/long.ts&autoplay=0")
        duration = wait_for(driver, "return window.state && window.state().duration > 0 && window.state().duration", 8)
        check("the duration is known early (tail read with a Range request)",
              bool(duration) and abs(duration - 20) < 0.5, str(duration))
        x, y, cw, ch, dpr = element_rect(driver, "canvas")

        def centre_mean():
            png = driver.screenshot()
            w, h, px = png_pixels(png)
            patch = [px[int((y + ch / 2) * dpr) + dy][int((x + cw / 2) * dpr) + dx]
                     for dy in range(-10, 10) for dx in range(-10, 10)]
            return png, tuple(round(sum(p[i] for p in patch) / len(patch)) for i in range(3))

        png, before = centre_mean()
        check("the first picture is from the first half (blue)", before[2] > before[0] + 60, str(before))
        sought_at = time.time()
        driver.js("window.player.seek(15)")
        red, mean = False, before
        while time.time() - sought_at < 10 and not red:
            png, mean = centre_mean()
            red = mean[0] > mean[2] + 60
        took = time.time() - sought_at
        open(os.path.join(OUT, "range-seek.png"), "wb").write(png)
        full = os.path.getsize(os.path.join(OUT, "long.ts")) / SLOW_RATE
        check("seek(15) shows the picture at 15 s (red) long before the download could get there",
              red and took < 6, f"{took:.1f} s (mean colour {mean}); the whole download takes {full:.0f} s")
        state = driver.js("return window.state()")
        check("currentTime is 15", abs(state["currentTime"] - 15) < 0.05, str(state["currentTime"]))
        check("a Range request read from the middle of the file",
              any(r.startswith("bytes=") and not r.startswith("bytes=-") and r != "bytes=0-"
                  for r in RANGE_REQUESTS), str(RANGE_REQUESTS))

        print("resource hygiene in workers (50 create/destroy cycles, then 8 players):")
        driver.go(f"http://127.0.0.1:{http_port}/player-wasm/tests/e2e/cycles.html"
                  f"?src={colour_url}&cycles=50&players=8")
        result = wait_for(driver, "return window.result", 120)
        check("every one of 50 successive worker players showed a picture",
              bool(result) and result["cyclesOk"] == 50 and result["workers"] == 50, json.dumps(result))
        check("then 8 worker players on one page all render with WebGL",
              bool(result) and result["playersShowing"] == 8 and result["playersInWorker"] == 8
              and all(r.startswith("webgl") for r in result["renderers"]) and not result["errors"],
              json.dumps(result))

        print("404:")
        driver.go(f"{page}?src=/no/such/file.ts")
        log = wait_for(driver, "return window.log.find(l => l.startsWith('error'))", 10)
        check("a 404 is an error event", bool(log) and "404" in log, str(log))

        print("live demo page (relay):")
        driver.go(f"http://127.0.0.1:{relay_port}/")
        shown = wait_for(driver, "const p = document.getElementById('player').playerInstance;"
                                 "return p && p.stats && p.stats.framesShown > 50 && p.stats", 30)
        check("the demo page shows frames", bool(shown), json.dumps(shown))
        if shown:
            check("stats.bitrate is the stream's (about 2 Mbit/s)",
                  0.5e6 < shown["bitrate"] < 8e6, f"{shown['bitrate']:.0f} bit/s")
            check("stats.decodeTime is a plausible time per frame",
                  0 < shown["decodeTime"] < 0.1, f"{shown['decodeTime'] * 1000:.2f} ms")
        in_worker = driver.js("return document.getElementById('player').playerInstance.inWorker")
        check("the demo plays in a worker", in_worker is True)
        png = driver.screenshot()
        open(os.path.join(OUT, "demo.png"), "wb").write(png)
        w, h, px = png_pixels(png)
        x, y, cw, ch, dpr = element_rect(driver, "#player canvas")
        values = {px[min(h - 1, int((y + ch * fy) * dpr))][min(w - 1, int((x + cw * fx) * dpr))]
                  for fx in (0.2, 0.4, 0.6, 0.8) for fy in (0.2, 0.4, 0.6, 0.8)}
        check("the demo screenshot shows a picture (tests/out/demo.png)", len(values) >= 4,
              f"{len(values)} distinct colours")

        for pause_when_hidden, in_worker in ((True, True), (False, True), (True, False)):
            print(f"hidden tab, pauseWhenHidden={pause_when_hidden}, worker={in_worker}:")
            driver.go(f"{page}?src=ws://127.0.0.1:{relay_port}/ws/demo"
                      f"&pauseWhenHidden={int(pause_when_hidden)}&worker={int(in_worker)}")
            ok = wait_for(driver, "return window.state && window.state().stats.framesShown > 25", 30)
            check("live frames before hiding", bool(ok))
            main_tab = driver.s("GET", "/window")
            driver.s("POST", "/window/new", {"type": "tab"})
            tabs = driver.s("GET", "/window/handles")
            other = [t for t in tabs if t != main_tab][0]
            driver.s("POST", "/window", {"handle": other})
            time.sleep(4)
            driver.s("POST", "/window", {"handle": main_tab})
            hidden_seen = driver.js("return window.hiddenSeen")
            check("the tab was hidden", hidden_seen is True)
            time.sleep(2)
            state = driver.js("return window.state()")
            check("playing again after the tab is shown", not state["paused"], json.dumps(state))
            lat = state["stats"]["latency"]
            check("live latency is bounded after the tab was hidden", lat < 0.5, f"{lat:.3f} s")
            shown = state["stats"]["framesShown"]
            time.sleep(1)
            more = driver.js("return window.state().stats.framesShown")
            check("new frames are shown after the tab is shown", more > shown + 5, f"{shown} -> {more}")
            samples = driver.js("return window.latencies.slice(-10)")
            check("latency stays bounded", max(samples) < 0.5, f"max {max(samples):.3f} s")
            driver.s("POST", "/window", {"handle": other})
            driver.s("DELETE", "/window")
            driver.s("POST", "/window", {"handle": main_tab})
        print("buffered live (latency: 1):")
        driver.go(f"{page}?src=ws://127.0.0.1:{relay_port}/ws/demo&latency=1")
        ok = wait_for(driver, "return window.state && window.state().stats.framesShown > 50", 30)
        check("buffered live shows frames", bool(ok))
        time.sleep(1)
        samples = driver.js("return window.latencies.slice(-20)")
        check("the delay stays near 1 s", bool(samples) and all(0.6 < x < 1.6 for x in samples),
              f"{min(samples):.2f}..{max(samples):.2f} s" if samples else "no samples")
        state = driver.js("return window.state()")
        check("audio plays in sync (scheduled, not dropped wholesale)",
              state["stats"]["audioFramesPlayed"] > 2 * state["stats"]["audioFramesDropped"],
              json.dumps(state["stats"]))

    finally:
        if driver:
            driver.quit()
        cd.terminate()
        relay.terminate()
        server.shutdown()
    if failures:
        print(f"browser end-to-end: {len(failures)} failed: {', '.join(failures)}")
        sys.exit(1)
    print("browser end-to-end: all passed")


if __name__ == "__main__":
    main()
