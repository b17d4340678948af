#!/usr/bin/env bash
# bench/compare.sh - video decode speed of wasmpeg compared with ffmpeg (one thread).
#
# Usage:
#   bench/compare.sh [-r ROUNDS] [-x REPEAT] [FILE...]
#
#   FILE     MPEG streams to decode (default: fixtures/bench_480p_bf2.ts,
#            fixtures/bench_720p_bf0.ts, fixtures/bench_1080p_bf2.ts; missing ones are skipped)
#   -r N     number of rounds (default 5, or $ROUNDS)
#   -x N     decode each FILE repeated N times back to back (default 10, or $REPEAT), so that
#            each run lasts long enough for process start-up (about 70 ms for ffmpeg) not to
#            dominate; the repeated file is a plain concatenation, which both tools decode
#   $JOBS    cargo build jobs (default 2)
#
# What is measured: wall-clock time of whole commands, start to exit, taken with
# `date +%s%N` around each run. Nothing is subtracted: process start-up, reading the file and
# demuxing are part of both numbers. The two commands are
#
#   wasmpeg decode FILE --null --quiet                     (video only; audio is not decoded)
#   ffmpeg -hide_banner -nostdin -threads 1 -i FILE -an -f null -
#
# Every round runs both tools on every file, round-robin and interleaved (the order of the two
# tools alternates from one round to the next), so that slow phases of a noisy machine hit
# both. After one untimed warm-up run of each command, ROUNDS timed rounds are run; the
# reported time is the median. frames/s = frames decoded (each tool's own count) / median time.
# The ratio wasmpeg/ffmpeg is in frames/s (above 1: wasmpeg is faster); the median of the
# per-round ratios is shown too, as it is less sensitive to drift in machine load.
#
# Needs bash, coreutils, ffmpeg, cargo and python3.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
REPEAT=${REPEAT:-10}
JOBS=${JOBS:-2}
while getopts "r:x:h" opt; do
    case $opt in
        r) ROUNDS=$OPTARG ;;
        x) REPEAT=$OPTARG ;;
        h) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "usage: $0 [-r ROUNDS] [-x REPEAT] [FILE...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if ! [[ $REPEAT =~ ^[1-9][0-9]*$ ]]; then
    echo "compare.sh: REPEAT must be a positive whole number, got '$REPEAT'" >&2
    exit 2
fi
if ! [[ $ROUNDS =~ ^[1-9][0-9]*$ ]]; then
    echo "compare.sh: ROUNDS must be a positive whole number, got '$ROUNDS'" >&2
    exit 2
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for tool in ffmpeg cargo python3; do
    command -v "$tool" >/dev/null || { echo "compare.sh: $tool is needed" >&2; exit 1; }
done

if [ $# -eq 0 ]; then
    set -- "$ROOT/fixtures/bench_480p_bf2.ts" "$ROOT/fixtures/bench_720p_bf0.ts" \
        "$ROOT/fixtures/bench_1080p_bf2.ts"
fi
FILES=()
for f in "$@"; do
    if [ -f "$f" ]; then
        FILES+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")")
    else
        echo "compare.sh: skipping $f (not found)" >&2
    fi
done
[ ${#FILES[@]} -gt 0 ] || { echo "compare.sh: no input files" >&2; exit 1; }

echo "== building wasmpeg (release)" >&2
(cd "$ROOT" && cargo build --release -j "$JOBS" -p wasmpeg --bin wasmpeg) >&2
TARGET_DIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
WASMPEG="$TARGET_DIR/release/wasmpeg"
[ -x "$WASMPEG" ] || { echo "compare.sh: $WASMPEG was not built" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
if [ "$REPEAT" -gt 1 ]; then
    echo "== repeating each input $REPEAT times" >&2
    for i in "${!FILES[@]}"; do
        repeated="$TMP/$(basename "${FILES[$i]}")"
        for ((k = 0; k < REPEAT; k++)); do cat "${FILES[$i]}"; done > "$repeated"
        FILES[$i]=$repeated
    done
fi
TIMES="$TMP/times"   # lines: file-index tool round nanoseconds
COUNTS="$TMP/counts" # lines: file-index tool frames
: >"$TIMES"
: >"$COUNTS"

run_wasmpeg() { "$WASMPEG" decode "$1" --null --quiet; }
run_ffmpeg() { ffmpeg -hide_banner -nostdin -threads 1 -i "$1" -an -f null - ; }

# Wall-clock nanoseconds of one run of "$@", or "fail".
time_ns() {
    local t0 t1
    t0=$(date +%s%N)
    if "$@" >/dev/null 2>&1; then
        t1=$(date +%s%N)
        echo $((t1 - t0))
    else
        echo fail
    fi
}

echo "== counting frames and warming up" >&2
OK_WASMPEG=()
for i in "${!FILES[@]}"; do
    f=${FILES[$i]}
    n=$(ffmpeg -hide_banner -nostdin -v error -threads 1 -i "$f" -map 0:v:0 -fps_mode passthrough \
        -f null - -progress pipe:1 | sed -n 's/^frame=//p' | tail -n 1)
    echo "$i ffmpeg ${n:-0}" >>"$COUNTS"
    m=$("$WASMPEG" probe --json --quiet "$f" 2>"$TMP/err" |
        python3 -c 'import json, sys; v = json.load(sys.stdin)["video"]; print(v["frames"] if v else 0)' \
        2>/dev/null || true)
    if [ -n "$m" ] && [ "$m" -gt 0 ] && run_wasmpeg "$f" >/dev/null 2>&1; then
        OK_WASMPEG[$i]=1
        echo "$i wasmpeg $m" >>"$COUNTS"
        [ "$m" = "${n:-0}" ] || echo "compare.sh: warning: $(basename "$f"): wasmpeg decodes $m frames, ffmpeg ${n:-0}" >&2
    else
        OK_WASMPEG[$i]=0
        echo "compare.sh: warning: wasmpeg cannot decode $(basename "$f") ($(head -n 1 "$TMP/err")); timing ffmpeg only" >&2
    fi
    run_ffmpeg "$f" >/dev/null 2>&1 || echo "compare.sh: warning: ffmpeg failed on $f" >&2
done

echo "== $ROUNDS rounds over ${#FILES[@]} file(s)" >&2
for ((r = 1; r <= ROUNDS; r++)); do
    for i in "${!FILES[@]}"; do
        f=${FILES[$i]}
        if ((r % 2)); then order="wasmpeg ffmpeg"; else order="ffmpeg wasmpeg"; fi
        for tool in $order; do
            if [ "$tool" = wasmpeg ] && [ "${OK_WASMPEG[$i]}" != 1 ]; then
                continue
            fi
            echo "$i $tool $r $(time_ns "run_$tool" "$f")" >>"$TIMES"
        done
    done
    printf '   round %d/%d done\n' "$r" "$ROUNDS" >&2
done

python3 - "$TIMES" "$COUNTS" "$ROUNDS" "${FILES[@]}" <<'PY'
import math
import os
import statistics
import sys

times_path, counts_path, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = sys.argv[4:]
counts = {}
for line in open(counts_path):
    i, tool, n = line.split()
    counts[(int(i), tool)] = int(n)
times = {}
for line in open(times_path):
    i, tool, r, ns = line.split()
    if ns != "fail":
        times.setdefault((int(i), tool), {})[int(r)] = int(ns) / 1e9

def fmt(x, spec):
    width = int(spec.split(".")[0] or 0)
    return format(x, spec) if x is not None else "-".rjust(width)

print()
print(f"wall-clock of whole commands, median of {rounds} interleaved rounds, one thread")
header = f"{'stream':<28}{'frames':>7}{'wasmpeg fps':>13}{'ffmpeg fps':>12}   {'RATIO wasmpeg/ffmpeg':<22}per-round ratios"
print(header)
print("-" * len(header))
ratios = []
for i, f in enumerate(files):
    name = os.path.basename(f)
    w, g = times.get((i, "wasmpeg"), {}), times.get((i, "ffmpeg"), {})
    nw, ng = counts.get((i, "wasmpeg")), counts.get((i, "ffmpeg"), 0)
    fps_w = nw / statistics.median(w.values()) if w and nw else None
    fps_g = ng / statistics.median(g.values()) if g and ng else None
    ratio = fps_w / fps_g if fps_w and fps_g else None
    per_round = sorted((nw / w[r]) / (ng / g[r]) for r in w if r in g and nw and ng)
    if ratio:
        ratios.append(ratio)
    spread = (
        f"median {statistics.median(per_round):.2f}x, range {per_round[0]:.2f}x..{per_round[-1]:.2f}x"
        if per_round else "-"
    )
    frames = nw if nw else ng
    print(f"{name:<28}{frames:>7}{fmt(fps_w, '13.1f')}{fmt(fps_g, '12.1f')}   "
          f"{(fmt(ratio, '.2f') + 'x') if ratio else 'n/a':<22}{spread}")
print()
if ratios:
    geo = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
    print(f"RATIO wasmpeg/ffmpeg (geometric mean over {len(ratios)} stream(s)): {geo:.2f}x"
          f"  ({'wasmpeg faster' if geo > 1 else 'ffmpeg faster'})")
else:
    print("RATIO wasmpeg/ffmpeg: n/a (wasmpeg decoded none of the streams)")
PY
