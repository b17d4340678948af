#!/usr/bin/env bash
# bench/compare.sh - video and audio decode speed of wasmpeg compared with ffmpeg (one thread),
# and of wasmpeg compiled to wasm32 compared with JSMpeg's JS and WASM decoders, in Node.
#
# Usage:
#   bench/compare.sh [-m MODE] [-r ROUNDS] [-x REPEAT] [-a AUDIO_REPEAT] [FILE...]
#
#   FILE     MPEG streams to decode (default: fixtures/bench_480p_bf2.ts,
#            fixtures/bench_720p_bf0.ts, fixtures/bench_1080p_bf2.ts for video and their audio
#            track, plus fixtures/mp2_48k_stereo_384k.mp2 and
#            fixtures/mp2_48k_joint_160k_crc_twolame.mp2 for audio; missing ones are skipped)
#   -m MODE  video, audio or all: wasmpeg native against ffmpeg (default all, or $MODE);
#            wasm, wasm-video or wasm-audio: wasmpeg's wasm32 build against JSMpeg in Node
#            (see "wasm modes" below)
#   -r N     number of rounds (default 5, or $ROUNDS)
#   -x N     decode each FILE repeated N times back to back (default 10, or $REPEAT), so that
#            each run lasts long enough for process start-up (about 70 ms for ffmpeg) not to
#            dominate; the repeated file is a plain concatenation, which both tools decode
#   -a N     the same for the audio inputs (default 300, or $AUDIO_REPEAT; 50 in the wasm
#            modes, which time inside one process): audio decodes hundreds of times faster than
#            real time, so it needs more repetitions
#   $JOBS    cargo build jobs (default 2)
#
# What is measured (video, audio and all): wall-clock time of whole commands, start to exit, taken with
# `date +%s%N` around each run. Nothing is subtracted: process start-up, reading the file and
# demuxing are part of both numbers.
#
# Video: each FILE that has a video stream, repeated REPEAT times, with
#
#   wasmpeg decode FILE --null --quiet                     (video only; audio is not decoded)
#   ffmpeg -hide_banner -nostdin -threads 1 -i FILE -an -f null -
#
# Audio: the first audio track of each FILE, taken out of its container as a raw MP2 stream
# (`ffmpeg -c:a copy -f mp2`; identical tracks are measured once), repeated AUDIO_REPEAT times,
# with
#
#   wasmpeg decode TRACK --null-audio --quiet              (audio only)
#   ffmpeg -hide_banner -nostdin -threads 1 -c:a mp2float -i TRACK -vn -f null -
#
# (ffmpeg's float MP2 decoder, as wasmpeg decodes to float too). Audio speeds are in audio
# frames per second (1152 samples per channel per Layer II frame).
#
# Every round runs both tools on every input, round-robin and interleaved (the order of the
# two tools alternates from one round to the next), so that slow phases of a noisy machine hit
# both. After one untimed warm-up run of each command, ROUNDS timed rounds are run; the
# reported time is the median. frames/s = frames decoded (each tool's own count: video frames
# from `wasmpeg probe` and ffmpeg's -progress, audio frames from `wasmpeg probe` and ffprobe's
# -count_frames) / median time. The ratio wasmpeg/ffmpeg is in frames/s (above 1: wasmpeg is
# faster); the median of the per-round ratios is shown too, as it is less sensitive to drift
# in machine load.
#
# wasm modes (-m wasm: video and audio; wasm-video, wasm-audio: one of them). Three decoders
# in one Node process, on the same streams, interleaved the same way (bench/wasm/run.mjs):
#
#   wasm         wasmpeg built for wasm32-unknown-unknown (release profile) from
#                bench/wasm-decode, through `wasm-bindgen --target nodejs`
#   wasm-opt     the same after `wasm-opt -O3` (when a Binaryen 117+ wasm-opt is available)
#   JSMpeg-WASM  JSMpeg's C decoders (MPEG1VideoWASM, MP2AudioWASM), its inlined WASM
#   JSMpeg-JS    JSMpeg's JS decoders (MPEG1Video, MP2Audio)
#   native       wasmpeg native, the same decode loop as `wasm` (bench/wasm-decode's
#                wasmpeg-bench-native), timed the same way
#
# JSMpeg is JSMpeg 1.x as bundled by the npm package @cycjimmy/jsmpeg-player (pinned below),
# installed at bench time into .cache/jsmpeg (git-ignored) and loaded in Node with
# `window = globalThis` as its only shim; nothing of it is committed. Times are in process:
# a fresh demuxer and decoder over the whole (repeated) file in memory, demux included, one
# warm-up run, then the median of ROUNDS interleaved rounds; the ratios are
# wasm/JSMpeg-WASM, wasm/JSMpeg-JS and wasm/native. JSMpeg reads MPEG-TS only, so each
# audio track is repeated AUDIO_REPEAT times and put back into an MPEG-TS of its own
# (`ffmpeg -c:a copy -f mpegts`) for every decoder. JSMpeg skips B-pictures: frames/s
# counts the stream's pictures for every decoder (so the ratios are ratios of the time
# taken for the same stream) and B-frame streams are marked. So that the comparison also
# has like-for-like streams, the default input list gains, in the wasm modes, the 480p and
# 1080p benchmark streams encoded without B-frames (the fixtures' ffmpeg commands with
# -bf 0, made at bench time).
#
# The wasm modes need Node and npm (installed with apt-get as nodejs and npm when missing,
# saying so), the Rust target wasm32-unknown-unknown (rustup), wasm-bindgen-cli at the
# version player-wasm/Cargo.toml pins (cargo install when missing) and, optionally,
# wasm-opt from Binaryen 117 or newer (the npm package binaryen is installed into
# .cache/binaryen when there is none on the PATH). WASMPEG_SKIP_INSTALL=1: install nothing
# (fail instead); WASMPEG_NO_WASM_OPT=1: no wasm-opt build.
#
# Needs bash, coreutils, ffmpeg, ffprobe, cargo and python3.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
REPEAT=${REPEAT:-10}
AUDIO_REPEAT=${AUDIO_REPEAT:-}
MODE=${MODE:-all}
JOBS=${JOBS:-2}
# The JSMpeg build that the wasm modes compare with (npm package, installed at bench time).
JSMPEG_NPM=@cycjimmy/jsmpeg-player@6.1.2
BINARYEN_NPM=binaryen@132.0.0
USAGE="usage: $0 [-m video|audio|all|wasm|wasm-video|wasm-audio] [-r ROUNDS] [-x REPEAT] [-a AUDIO_REPEAT] [FILE...]"
while getopts "m:r:x:a:h" opt; do
    case $opt in
        m) MODE=$OPTARG ;;
        r) ROUNDS=$OPTARG ;;
        x) REPEAT=$OPTARG ;;
        a) AUDIO_REPEAT=$OPTARG ;;
        h) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "$USAGE" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
case $MODE in
    video | audio | all) WASM=0 ;;
    wasm | wasm-video | wasm-audio) WASM=1 ;;
    *) echo "compare.sh: MODE must be video, audio, all, wasm, wasm-video or wasm-audio, got '$MODE'" >&2; exit 2 ;;
esac
# Which inputs: video unless MODE is an audio one, audio unless it is a video one.
case $MODE in *audio) WANT_VIDEO=0 ;; *) WANT_VIDEO=1 ;; esac
case $MODE in *video) WANT_AUDIO=0 ;; *) WANT_AUDIO=1 ;; esac
if [ -z "$AUDIO_REPEAT" ]; then
    if [ "$WASM" = 1 ]; then AUDIO_REPEAT=50; else AUDIO_REPEAT=300; fi
fi
for var in REPEAT AUDIO_REPEAT ROUNDS; do
    if ! [[ ${!var} =~ ^[1-9][0-9]*$ ]]; then
        echo "compare.sh: $var must be a positive whole number, got '${!var}'" >&2
        exit 2
    fi
done
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for tool in ffmpeg ffprobe cargo python3; do
    command -v "$tool" >/dev/null || { echo "compare.sh: $tool is needed" >&2; exit 1; }
done

DEFAULT_INPUTS=0
if [ $# -eq 0 ]; then
    DEFAULT_INPUTS=1
    set -- "$ROOT/fixtures/bench_480p_bf2.ts" "$ROOT/fixtures/bench_720p_bf0.ts" \
        "$ROOT/fixtures/bench_1080p_bf2.ts" "$ROOT/fixtures/mp2_48k_stereo_384k.mp2" \
        "$ROOT/fixtures/mp2_48k_joint_160k_crc_twolame.mp2"
fi
SOURCES=()
for f in "$@"; do
    if [ -f "$f" ]; then
        SOURCES+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")")
    else
        echo "compare.sh: skipping $f (not found)" >&2
    fi
done
[ ${#SOURCES[@]} -gt 0 ] || { echo "compare.sh: no input files" >&2; exit 1; }

TARGET_DIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [ "$WASM" = 1 ]; then
    # What the wasm modes need; see the header.
    say() { printf '== %s\n' "$*" >&2; }
    as_root() {
        if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
            echo "compare.sh: need root (or sudo) to run: $*" >&2; exit 1
        fi
    }
    need() { # need WHAT HOW: fail when installing is not allowed
        if [ "${WASMPEG_SKIP_INSTALL:-0}" = 1 ]; then
            echo "compare.sh: $1 is missing (WASMPEG_SKIP_INSTALL=1): $2" >&2
            exit 1
        fi
    }
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        need "Node and npm" "apt-get install nodejs npm"
        say "installing the Debian packages nodejs and npm (apt-get)"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            nodejs npm >/dev/null
    fi
    if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
        need "Rust target wasm32-unknown-unknown" "rustup target add wasm32-unknown-unknown"
        say "installing the Rust target wasm32-unknown-unknown (rustup)"
        rustup target add wasm32-unknown-unknown >&2
    fi
    bindgen_version=$(sed -nE 's/^wasm-bindgen = "=([0-9.]+)"/\1/p' "$ROOT/player-wasm/Cargo.toml")
    if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
        need "wasm-bindgen-cli $bindgen_version" "cargo install wasm-bindgen-cli --version =$bindgen_version"
        say "installing wasm-bindgen-cli $bindgen_version (cargo install; must match the crate's pin)"
        cargo install -j "$JOBS" wasm-bindgen-cli --version "=$bindgen_version" >&2
    fi
    JSMPEG="$ROOT/.cache/jsmpeg/node_modules/@cycjimmy/jsmpeg-player/dist/jsmpeg-player.cjs"
    if [ ! -f "$JSMPEG" ] || ! grep -q "\"version\": \"${JSMPEG_NPM##*@}\"" \
        "$ROOT/.cache/jsmpeg/node_modules/@cycjimmy/jsmpeg-player/package.json"; then
        need "$JSMPEG_NPM" "npm install --prefix .cache/jsmpeg $JSMPEG_NPM"
        say "installing JSMpeg ($JSMPEG_NPM) from npm into .cache/jsmpeg"
        mkdir -p "$ROOT/.cache/jsmpeg"
        npm install --prefix "$ROOT/.cache/jsmpeg" --no-audit --no-fund --silent "$JSMPEG_NPM" >&2
    fi
    WASM_OPT=""
    if [ "${WASMPEG_NO_WASM_OPT:-0}" != 1 ]; then
        for candidate in "$(command -v wasm-opt || true)" "$ROOT/.cache/binaryen/node_modules/.bin/wasm-opt"; do
            [ -n "$candidate" ] && [ -x "$candidate" ] || continue
            v=$("$candidate" --version 2>/dev/null | sed -nE 's/.*version ([0-9]+).*/\1/p')
            if [ "${v:-0}" -ge 117 ]; then WASM_OPT=$candidate; break; fi
        done
        if [ -z "$WASM_OPT" ] && [ "${WASMPEG_SKIP_INSTALL:-0}" != 1 ]; then
            say "installing Binaryen ($BINARYEN_NPM) from npm into .cache/binaryen, for wasm-opt"
            mkdir -p "$ROOT/.cache/binaryen"
            npm install --prefix "$ROOT/.cache/binaryen" --no-audit --no-fund --silent "$BINARYEN_NPM" >&2
            WASM_OPT=$ROOT/.cache/binaryen/node_modules/.bin/wasm-opt
        fi
        [ -n "$WASM_OPT" ] || echo "compare.sh: no wasm-opt 117+: no wasm-opt column" >&2
    fi

    say "building bench/wasm-decode for wasm32 and natively (release)"
    (cd "$ROOT" && cargo build --release -j "$JOBS" -p wasmpeg-bench-wasm --lib \
        --target wasm32-unknown-unknown && cargo build --release -j "$JOBS" -p wasmpeg-bench-wasm \
        --bin wasmpeg-bench-native) >&2
    NATIVE="$TARGET_DIR/release/wasmpeg-bench-native"
    wasm-bindgen --target nodejs --out-dir "$TMP/wasm" \
        "$TARGET_DIR/wasm32-unknown-unknown/release/wasmpeg_bench_wasm.wasm"
    WASM_BUILDS=(--wasmpeg "wasm=$TMP/wasm")
    if [ -n "$WASM_OPT" ]; then
        say "wasm-opt -O3 ($("$WASM_OPT" --version))"
        mkdir "$TMP/wasm-opt"
        cp "$TMP/wasm/wasmpeg_bench_wasm.js" "$TMP/wasm-opt/"
        "$WASM_OPT" -O3 "$TMP/wasm/wasmpeg_bench_wasm_bg.wasm" -o "$TMP/wasm-opt/wasmpeg_bench_wasm_bg.wasm"
        WASM_BUILDS+=(--wasmpeg "wasm-opt=$TMP/wasm-opt")
    fi
else
    echo "== building wasmpeg (release)" >&2
    (cd "$ROOT" && cargo build --release -j "$JOBS" -p wasmpeg --bin wasmpeg) >&2
fi
WASMPEG="$TARGET_DIR/release/wasmpeg"
[ "$WASM" = 1 ] || [ -x "$WASMPEG" ] || { echo "compare.sh: $WASMPEG was not built" >&2; exit 1; }

# The inputs to time: FILES[i] is decoded as KINDS[i] (video or audio); NAMES[i] is shown.
FILES=()
KINDS=()
NAMES=()

# repeat SRC DEST N: DEST is SRC concatenated N times.
repeat() {
    local k
    for ((k = 0; k < $3; k++)); do cat "$1"; done >"$2"
}

if [ "$WANT_VIDEO" = 1 ] && [ "$WASM" = 1 ] && [ "$DEFAULT_INPUTS" = 1 ]; then
    # B-frame-free versions of the 480p and 1080p benchmark streams (JSMpeg skips B-pictures):
    # fixtures/make_fixtures.sh's commands with -bf 0.
    say "encoding the 480p and 1080p benchmark streams without B-frames (ffmpeg)"
    aud="aevalsrc=0.5*sin(440*2*PI*t)|0.5*sin(550*2*PI*t):s=44100:d=2"
    ffmpeg -hide_banner -nostdin -loglevel error -y -f lavfi -i "testsrc2=s=640x480:r=25:d=2" \
        -f lavfi -i "$aud" -c:v mpeg1video -threads 3 -flags +bitexact -b:v 1000k -bf 0 \
        -c:a mp2 -b:a 128k -fflags +bitexact -f mpegts "$TMP/bench_480p_bf0.ts"
    ffmpeg -hide_banner -nostdin -loglevel error -y -f lavfi -i "testsrc2=s=1920x1080:r=25:d=2" \
        -f lavfi -i "$aud" -c:v mpeg1video -threads 3 -flags +bitexact -b:v 8000k -maxrate 8000k \
        -bufsize 4M -bf 0 -c:a mp2 -b:a 128k -fflags +bitexact -f mpegts "$TMP/bench_1080p_bf0.ts"
    # Each right after its B-frame counterpart.
    with_bf0=()
    for f in "${SOURCES[@]}"; do
        with_bf0+=("$f")
        case $(basename "$f") in
            bench_480p_bf2.ts) with_bf0+=("$TMP/bench_480p_bf0.ts") ;;
            bench_1080p_bf2.ts) with_bf0+=("$TMP/bench_1080p_bf0.ts") ;;
        esac
    done
    SOURCES=("${with_bf0[@]}")
fi

if [ "$WANT_VIDEO" = 1 ]; then
    if [ "$REPEAT" -gt 1 ]; then
        echo "== repeating each video input $REPEAT times" >&2
    fi
    for f in "${SOURCES[@]}"; do
        if [ -z "$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_type \
            -of csv=p=0 "$f" 2>/dev/null)" ]; then
            [ "$WANT_AUDIO" = 0 ] && echo "compare.sh: no video stream in $(basename "$f"); skipping it" >&2
            continue
        fi
        input=$f
        if [ "$REPEAT" -gt 1 ]; then
            input="$TMP/video-${#FILES[@]}-$(basename "$f")"
            repeat "$f" "$input" "$REPEAT"
        fi
        FILES+=("$input")
        KINDS+=(video)
        NAMES+=("$(basename "$f")")
    done
fi

if [ "$WANT_AUDIO" = 1 ]; then
    echo "== extracting the audio tracks, repeated $AUDIO_REPEAT times" >&2
    SEEN_TRACKS=" "
    for k in "${!SOURCES[@]}"; do
        f=${SOURCES[$k]}
        track="$TMP/track-$k.mp2"
        if ! ffmpeg -hide_banner -nostdin -v error -y -i "$f" -map 0:a:0 -c:a copy -f mp2 "$track" \
            2>/dev/null || [ ! -s "$track" ]; then
            echo "compare.sh: no MP2 audio track in $(basename "$f"); no audio comparison for it" >&2
            continue
        fi
        sum=$(cksum <"$track" | cut -d' ' -f1,2)
        if [[ $SEEN_TRACKS == *" $sum "* ]]; then
            echo "compare.sh: the audio of $(basename "$f") was already measured; skipping it" >&2
            continue
        fi
        SEEN_TRACKS+="$sum "
        input="$TMP/audio-$k.mp2"
        repeat "$track" "$input" "$AUDIO_REPEAT"
        if [ "$WASM" = 1 ]; then
            # JSMpeg reads MPEG-TS only: the repeated track in an MPEG-TS of its own.
            ffmpeg -hide_banner -nostdin -v error -y -i "$input" -c:a copy -f mpegts "$TMP/audio-$k.ts"
            input="$TMP/audio-$k.ts"
        fi
        FILES+=("$input")
        KINDS+=(audio)
        NAMES+=("$(basename "$f") (audio)")
    done
fi
[ ${#FILES[@]} -gt 0 ] || { echo "compare.sh: nothing to measure" >&2; exit 1; }

if [ "$WASM" = 1 ]; then
    ARGS=()
    for i in "${!FILES[@]}"; do
        ARGS+=("${KINDS[$i]}:${NAMES[$i]}:${FILES[$i]}")
    done
    node --expose-gc "$ROOT/bench/wasm/run.mjs" --rounds "$ROUNDS" --jsmpeg "$JSMPEG" \
        "${WASM_BUILDS[@]}" --native "$NATIVE" "${ARGS[@]}"
    exit
fi

TIMES="$TMP/times"   # lines: input-index tool round nanoseconds
COUNTS="$TMP/counts" # lines: input-index tool frames
: >"$TIMES"
: >"$COUNTS"

run_wasmpeg_video() { "$WASMPEG" decode "$1" --null --quiet; }
run_ffmpeg_video() { ffmpeg -hide_banner -nostdin -threads 1 -i "$1" -an -f null - ; }
run_wasmpeg_audio() { "$WASMPEG" decode "$1" --null-audio --quiet; }
run_ffmpeg_audio() { ffmpeg -hide_banner -nostdin -threads 1 -c:a mp2float -i "$1" -vn -f null - ; }

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

# ffmpeg's (ffprobe's) frame count of input I.
ffmpeg_count() {
    local f=${FILES[$1]}
    if [ "${KINDS[$1]}" = video ]; then
        ffmpeg -hide_banner -nostdin -v error -threads 1 -i "$f" -map 0:v:0 -fps_mode passthrough \
            -f null - -progress pipe:1 | sed -n 's/^frame=//p' | tail -n 1
    else
        ffprobe -v error -select_streams a:0 -count_frames -show_entries stream=nb_read_frames \
            -of csv=p=0 "$f" | grep -m 1 '[0-9]'
    fi
}

echo "== counting frames and warming up" >&2
OK_WASMPEG=()
for i in "${!FILES[@]}"; do
    f=${FILES[$i]}
    kind=${KINDS[$i]}
    n=$(ffmpeg_count "$i" || true)
    echo "$i ffmpeg ${n:-0}" >>"$COUNTS"
    m=$("$WASMPEG" probe --json --quiet "$f" 2>"$TMP/err" |
        python3 -c "import json, sys; v = json.load(sys.stdin)['$kind']; print(v['frames'] if v else 0)" \
        2>/dev/null || true)
    if [ -n "$m" ] && [ "$m" -gt 0 ] && "run_wasmpeg_$kind" "$f" >/dev/null 2>"$TMP/err"; then
        OK_WASMPEG[$i]=1
        echo "$i wasmpeg $m" >>"$COUNTS"
        [ "$m" = "${n:-0}" ] ||
            echo "compare.sh: warning: ${NAMES[$i]}: wasmpeg decodes $m $kind frames, ffmpeg ${n:-0}" >&2
    else
        OK_WASMPEG[$i]=0
        reason=$(head -n 1 "$TMP/err")
        echo "compare.sh: warning: wasmpeg cannot decode the $kind of ${NAMES[$i]} (${reason:-no frames}); timing ffmpeg only" >&2
    fi
    "run_ffmpeg_$kind" "$f" >/dev/null 2>&1 || echo "compare.sh: warning: ffmpeg failed on ${NAMES[$i]}" >&2
done

echo "== $ROUNDS rounds over ${#FILES[@]} input(s)" >&2
for ((r = 1; r <= ROUNDS; r++)); do
    for i in "${!FILES[@]}"; do
        f=${FILES[$i]}
        if ((r % 2)); then order="wasmpeg ffmpeg"; else order="ffmpeg wasmpeg"; fi
        for tool in $order; do
            if [ "$tool" = wasmpeg ] && [ "${OK_WASMPEG[$i]}" != 1 ]; then
                continue
            fi
            echo "$i $tool $r $(time_ns "run_${tool}_${KINDS[$i]}" "$f")" >>"$TIMES"
        done
    done
    printf '   round %d/%d done\n' "$r" "$ROUNDS" >&2
done

python3 - "$TIMES" "$COUNTS" "$ROUNDS" "${#FILES[@]}" "${KINDS[@]}" "${NAMES[@]}" <<'PY'
import math
import statistics
import sys

times_path, counts_path, rounds, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
kinds = sys.argv[5:5 + n]
names = sys.argv[5 + n:5 + 2 * n]
counts = {}
for line in open(counts_path):
    i, tool, c = line.split()
    counts[(int(i), tool)] = int(c)
times = {}
for line in open(times_path):
    i, tool, r, ns = line.split()
    if ns != "fail":
        times.setdefault((int(i), tool), {})[int(r)] = int(ns) / 1e9

def fmt(x, spec):
    width = int(spec.split(".")[0] or 0)
    return format(x, spec) if x is not None else "-".rjust(width)

def table(kind, title, unit):
    rows = [i for i in range(n) if kinds[i] == kind]
    if not rows:
        return
    print()
    print(f"{title}: wall-clock of whole commands, median of {rounds} interleaved rounds, one thread")
    ww, wg = len(unit) + 10, len(unit) + 9
    wn = max([28] + [len(names[i]) + 2 for i in rows])
    header = (f"{'stream':<{wn}}{'frames':>7}{'wasmpeg ' + unit:>{ww}}{'ffmpeg ' + unit:>{wg}}   "
              f"{'RATIO wasmpeg/ffmpeg':<22}per-round ratios")
    print(header)
    print("-" * len(header))
    ratios = []
    for i in rows:
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
        print(f"{names[i]:<{wn}}{frames:>7}{fmt(fps_w, f'{ww}.1f')}{fmt(fps_g, f'{wg}.1f')}   "
              f"{(fmt(ratio, '.2f') + 'x') if ratio else 'n/a':<22}{spread}")
    print()
    if ratios:
        geo = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
        print(f"{title} RATIO wasmpeg/ffmpeg (geometric mean over {len(ratios)} stream(s)): {geo:.2f}x"
              f"  ({'wasmpeg faster' if geo > 1 else 'ffmpeg faster'})")
    else:
        print(f"{title} RATIO wasmpeg/ffmpeg: n/a (wasmpeg decoded none of the streams)")

table("video", "video", "fps")
table("audio", "audio", "frames/s")
PY
