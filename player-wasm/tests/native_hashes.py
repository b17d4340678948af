#!/usr/bin/env python3
"""Prints the native decoder's output of fixtures as FNV-1a-64 hashes, for the browser test
`wasm_decoding_is_bit_identical_to_native` (tests/web.rs), which is compiled with the result in
WASMPEG_NATIVE_HASHES.

Usage: native_hashes.py WASMPEG_BINARY FIXTURE...
Output: NAME:v=HASH,HASH,...;a=HASH|NAME:... — one hash per picture (planar yuv420p cropped to
the display size, as in a .y4m frame) and one over all audio (32-bit float little-endian
samples, interleaved, as in the float .wav).
"""
import os
import subprocess
import sys
import tempfile


def fnv(data, h=0xcbf29ce484222325):
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def main():
    binary, fixtures = sys.argv[1], sys.argv[2:]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in fixtures:
            y4m, wav = os.path.join(tmp, "v.y4m"), os.path.join(tmp, "a.wav")
            subprocess.run([binary, "decode", path, "-o", y4m, "-o", wav, "--quiet"], check=True)
            data = open(y4m, "rb").read()
            header, _, rest = data.partition(b"\n")
            fields = {f[:1]: f[1:] for f in header.split(b" ")[1:]}
            w, h = int(fields[b"W"]), int(fields[b"H"])
            size = w * h + 2 * ((w + 1) // 2) * ((h + 1) // 2)
            hashes, at = [], 0
            while at < len(rest):
                line_end = rest.index(b"\n", at)
                frame = rest[line_end + 1:line_end + 1 + size]
                hashes.append(f"{fnv(frame):016x}")
                at = line_end + 1 + size
            audio = open(wav, "rb").read() if os.path.exists(wav) else b""
            pos = audio.find(b"data")
            samples = audio[pos + 8:] if pos >= 0 else b""
            out.append(f"{os.path.basename(path)}:v={','.join(hashes)};a={fnv(samples):016x}")
    print("|".join(out))


if __name__ == "__main__":
    main()
