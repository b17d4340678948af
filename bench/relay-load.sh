#!/usr/bin/env bash
# bench/relay-load.sh - relay load benchmark: wasmpeg-relay against JSMpeg's websocket-relay.js
# and the npm package node-rtsp-stream, same load, same run, with ratios.
#
# Usage:
#   bench/relay-load.sh [-n "100 500 1000 2000"] [-d SECONDS] [-r ROUNDS] [-- RELAY_LOAD_ARGS...]
#
#   -n LIST   viewer counts (default "100 500 1000 2000")
#   -d SECS   measured seconds per run (default 10; each run adds warm-up, connecting and drain)
#   -r N      rounds, interleaved; the summary shows medians (default 1)
#   --        anything after is passed to relay-load (see `relay-load --help`), e.g.
#             --relays wasmpeg,jsmpeg or --threads 2
#   $JOBS     cargo build jobs (default 2)
#   WASMPEG_SKIP_INSTALL=1   never install anything (fail instead if something is missing)
#
# What it installs, saying so (only when missing):
#   - Debian packages nodejs, npm and ffmpeg (sudo when not root)
#   - into .cache/relay-load/ (git-ignored; nothing of it is committed):
#     * jsmpeg/websocket-relay.js, downloaded from GitHub at JSMpeg commit
#       924acfbd96fdf15e6748d1368a36d79d8f4cecf6, and the npm package ws (pinned), as the
#       JSMpeg README says ("npm install ws"). If GitHub cannot be reached, the JSMpeg relay is
#       skipped unless the file is already there.
#     * node-rtsp-stream (npm, pinned) with its own ws 7.x.
# Then it builds wasmpeg-relay and relay-load (release) and runs relay-load, which prints a
# table per run, a summary and RATIO lines. Method: bench/relay-load/src/main.rs, `--help`.
set -euo pipefail
cd "$(dirname "$0")/.."

viewers="100 500 1000 2000"
duration=10
rounds=1
while getopts "n:d:r:h" opt; do
  case $opt in
    n) viewers=$OPTARG ;;
    d) duration=$OPTARG ;;
    r) rounds=$OPTARG ;;
    h) sed -n '2,28p' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift

jsmpeg_commit=924acfbd96fdf15e6748d1368a36d79d8f4cecf6
ws_version=8.23.0
nrs_version=0.0.9
cache=.cache/relay-load
jobs=${JOBS:-2}

say() { printf '\n==> %s\n' "$*"; }
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "error: need root (or sudo) to run: $*" >&2; exit 1
  fi
}
skip_install() { [ "${WASMPEG_SKIP_INSTALL:-0}" = 1 ]; }
missing() { echo "error: $1 is missing (WASMPEG_SKIP_INSTALL=1): $2" >&2; exit 1; }

need_apt=()
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
command -v ffmpeg >/dev/null || need_apt+=(ffmpeg)
if [ ${#need_apt[@]} -gt 0 ]; then
  skip_install && missing "${need_apt[*]}" "apt-get install ${need_apt[*]}"
  say "Installing Debian packages: ${need_apt[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${need_apt[@]}" >/dev/null
fi

relays=wasmpeg
mkdir -p "$cache/jsmpeg"
relay_js=$cache/jsmpeg/websocket-relay.js
if [ ! -s "$relay_js" ] && ! skip_install; then
  say "Downloading JSMpeg's websocket-relay.js at $jsmpeg_commit into $cache/jsmpeg"
  url=https://raw.githubusercontent.com/phoboslab/jsmpeg/$jsmpeg_commit/websocket-relay.js
  if ! curl -fsSL --max-time 30 -o "$relay_js.tmp" "$url"; then
    rm -f "$relay_js.tmp"
    echo "warning: cannot download $url; the JSMpeg relay is skipped (put the file at $relay_js by hand to include it)" >&2
  else
    mv "$relay_js.tmp" "$relay_js"
  fi
fi
if [ -s "$relay_js" ]; then
  if [ ! -d "$cache/jsmpeg/node_modules/ws" ]; then
    skip_install && missing "ws for the JSMpeg relay" "npm install --prefix $cache/jsmpeg ws@$ws_version"
    say "Installing npm package ws@$ws_version into $cache/jsmpeg (for websocket-relay.js)"
    npm install --prefix "$cache/jsmpeg" --no-audit --no-fund --silent "ws@$ws_version"
  fi
  relays+=,jsmpeg
fi
if [ ! -d "$cache/node-rtsp-stream/node_modules/node-rtsp-stream" ]; then
  skip_install && missing node-rtsp-stream "npm install --prefix $cache/node-rtsp-stream node-rtsp-stream@$nrs_version"
  say "Installing npm package node-rtsp-stream@$nrs_version into $cache/node-rtsp-stream"
  npm install --prefix "$cache/node-rtsp-stream" --no-audit --no-fund --silent \
    "node-rtsp-stream@$nrs_version"
fi
relays+=,node-rtsp-stream

say "Building wasmpeg-relay and relay-load (release, -j$jobs)"
cargo build --release -j"$jobs" -p wasmpeg-relay -p wasmpeg-relay-load
target=${CARGO_TARGET_DIR:-target}

# 2000 viewers need about 4100 descriptors in this process and as many in the relay.
max_n=$(tr ' ,' '\n\n' <<<"$viewers" | sort -n | tail -1)
need=$((2 * max_n + 200))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  hard=$(ulimit -Hn)
  if [ "$hard" = unlimited ] || [ "$hard" -ge "$need" ]; then
    ulimit -n "$need"
  else
    echo "error: open files hard limit $hard < $need; raise it (e.g. in /etc/security/limits.conf)" >&2
    exit 1
  fi
fi

say "node $(node --version), ws $ws_version (JSMpeg relay), node-rtsp-stream $nrs_version" \
  "(ws $(node -p "require('./$cache/node-rtsp-stream/node_modules/ws/package.json').version")), $(ffmpeg -version | head -1 | cut -d' ' -f1-3)"
relay_arg=(--relays "$relays")
case " $* " in *" --relays"*) relay_arg=() ;; esac
"$target/release/relay-load" \
  --wasmpeg-relay "$target/release/wasmpeg-relay" \
  "${relay_arg[@]}" \
  --viewers "$(tr ' ' ',' <<<"$viewers")" \
  --duration "$duration" \
  --rounds "$rounds" \
  "$@"
