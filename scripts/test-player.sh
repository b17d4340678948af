#!/usr/bin/env bash
# Tests the browser player (player-wasm/) and builds its package. On a fresh Debian/Ubuntu
# machine with only rustup's Rust it first installs what it needs, saying what it installs:
#   - Rust target wasm32-unknown-unknown (rustup)
#   - Debian packages chromium and chromium-driver (headless browser tests; sudo when not root)
#   - wasm-pack (cargo install --locked) and wasm-bindgen-cli at the exact version the crate pins
#     (cargo install), so that wasm-pack never downloads binaries itself
#   - wasm-opt: Binaryen 117 or newer is needed for what rustc and wasm-bindgen emit (reference
#     types; Debian 12's binaryen 108 and the wasm-opt crate's 116 cannot parse it). When none
#     is on the PATH, the npm package binaryen (pinned) is installed into .cache/ with npm.
# Then: formatting, clippy (host and wasm32), native unit tests of the platform-free core, the
# headless-Chromium tests, a release build with its .wasm size (raw and gzipped), the bundler
# and nodejs package targets (the nodejs one loaded in Node; nodejs is installed from Debian if
# missing), and the end-to-end browser tests of the release package (player-wasm/tests/e2e:
# worker + OffscreenCanvas, colours, ended, 404, the relay's demo page with a screenshot saved
# to tests/out/demo.png, live latency across a hidden tab). ffmpeg comes from scripts/test.sh.
#
# Environment:
#   WASMPEG_SKIP_INSTALL=1   never install anything (fail instead if something is missing)
#   WASMPEG_NO_WASM_OPT=1    skip wasm-opt (and its installation)
#   CARGO_TARGET_DIR         as usual
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "error: need root (or sudo) to run: $*" >&2; exit 1
  fi
}
skip_install() { [ "${WASMPEG_SKIP_INSTALL:-0}" = 1 ]; }
missing() { echo "error: $1 is missing (WASMPEG_SKIP_INSTALL=1): $2" >&2; exit 1; }

# The wasm-bindgen version pinned in player-wasm/Cargo.toml ("=X.Y.Z").
bindgen_version=$(sed -nE 's/^wasm-bindgen = "=([0-9.]+)"/\1/p' player-wasm/Cargo.toml)

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  skip_install && missing "Rust target wasm32-unknown-unknown" "rustup target add wasm32-unknown-unknown"
  say "Installing Rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$chrome" ] || ! command -v chromedriver >/dev/null; then
  skip_install && missing "chromium/chromedriver" "apt-get install chromium chromium-driver"
  say "Installing Debian packages chromium and chromium-driver (headless browser tests)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver >/dev/null
fi

if ! command -v wasm-pack >/dev/null; then
  skip_install && missing wasm-pack "cargo install wasm-pack --locked"
  say "Installing wasm-pack (cargo install wasm-pack --locked)"
  cargo install -j2 wasm-pack --locked
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  skip_install && missing "wasm-bindgen-cli $bindgen_version" "cargo install wasm-bindgen-cli --version =$bindgen_version"
  say "Installing wasm-bindgen-cli $bindgen_version (must match the crate's pin)"
  # Not --locked: a pinned transitive version of its lock file may be missing from mirrors.
  cargo install -j2 wasm-bindgen-cli --version "=$bindgen_version"
fi
binaryen_npm=132.0.0
wasm_opt=""
if [ "${WASMPEG_NO_WASM_OPT:-0}" != 1 ]; then
  for candidate in "$(command -v wasm-opt || true)" ".cache/binaryen/node_modules/.bin/wasm-opt"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    v=$("$candidate" --version 2>/dev/null | sed -nE 's/.*version ([0-9]+).*/\1/p')
    if [ "${v:-0}" -ge 117 ]; then wasm_opt=$candidate; break; fi
  done
  if [ -z "$wasm_opt" ] && ! skip_install && command -v npm >/dev/null; then
    say "Installing Binaryen $binaryen_npm from npm into .cache/binaryen (for wasm-opt)"
    mkdir -p .cache/binaryen
    npm install --prefix .cache/binaryen --no-audit --no-fund --silent "binaryen@$binaryen_npm"
    wasm_opt=.cache/binaryen/node_modules/.bin/wasm-opt
  fi
  [ -n "$wasm_opt" ] || echo "note: no wasm-opt 117+ (and no npm): the package is not optimised"
fi

say "Formatting (cargo fmt --check)"
cargo fmt --all -- --check

say "Lints, host (cargo clippy --workspace --all-targets -D warnings)"
cargo clippy -j2 --workspace --all-targets -- -D warnings
say "Lints, wasm32 (the web layer and the browser tests)"
cargo clippy -j2 -p wasmpeg-player --all-targets --target wasm32-unknown-unknown -- -D warnings

say "Native unit tests of the platform-free core (cargo test -p wasmpeg-player)"
cargo test -j2 -p wasmpeg-player

say "Browser tests in headless Chromium (wasm-pack test --headless --chrome player-wasm)"
# A small WebSocket server (Python standard library) streams the test fixture and closes every
# connection, for the live-source test (reconnection, stream reset).
ws_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 player-wasm/tests/ws_server.py "$ws_port" player-wasm/tests/fixtures/tiny_64x48.ts &
ws_pid=$!
trap 'kill "$ws_pid" 2>/dev/null || true' EXIT
# webdriver.json (in player-wasm/) passes --no-sandbox, SwiftShader WebGL and the autoplay
# policy to Chromium.
# The native decoder's output of three fixtures, as hashes the wasm test compares with its own.
cargo build -j2 -p wasmpeg --bin wasmpeg
WASMPEG_NATIVE_HASHES=$(python3 player-wasm/tests/native_hashes.py \
  "${CARGO_TARGET_DIR:-target}/debug/wasmpeg" fixtures/ibbp_bf2_352x288.ts \
  fixtures/sif_352x288_25.mpg fixtures/odd_322x242.ts)
export WASMPEG_NATIVE_HASHES
WASMPEG_TEST_WS="ws://127.0.0.1:${ws_port}/" WASM_BINDGEN_TEST_TIMEOUT=120 \
  wasm-pack test --headless --chrome --chromedriver "$(command -v chromedriver)" player-wasm

say "Release package (wasm-pack build player-wasm --target web --release)"
wasm-pack build player-wasm --target web --release
wasm=player-wasm/pkg/wasmpeg_player_bg.wasm
if [ -n "$wasm_opt" ]; then
  "$wasm_opt" -O3 --strip-debug --strip-producers "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
else
  echo "(wasm-opt not available: size without it)"
fi
raw=$(stat -c %s "$wasm")
gz=$(gzip -9c "$wasm" | wc -c)
js_gz=$(gzip -9c player-wasm/pkg/wasmpeg_player.js | wc -c)
echo "player package: wasmpeg_player_bg.wasm ${raw} B (${gz} B gzipped), wasmpeg_player.js ${js_gz} B gzipped"

say "Other package targets (wasm-pack build --target bundler / nodejs)"
wasm-pack build player-wasm --target bundler --release --out-dir ../target/pkg-bundler
test -s target/pkg-bundler/wasmpeg_player_bg.wasm && test -s target/pkg-bundler/wasmpeg_player.d.ts
wasm-pack build player-wasm --target nodejs --release --out-dir ../target/pkg-nodejs
if ! command -v node >/dev/null; then
  skip_install && missing "Node.js" "apt-get install nodejs"
  say "Installing Debian package nodejs (to load the --target nodejs package)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs >/dev/null
fi
node -e '
  const pkg = require("./target/pkg-nodejs/wasmpeg_player.js");
  if (typeof pkg.Player !== "function") throw new Error("no Player export");
  let message = "";
  try { new pkg.Player(null, {}); } catch (e) { message = String(e); }
  if (!/no document/.test(message)) throw new Error("unexpected: " + message);
  console.log("nodejs package loads; Player needs a document, as documented");
'

say "Browser end-to-end with the release package (worker, files, live relay, hidden tab)"
# The relay embeds www/ (with the package) when it is built.
rm -rf www/pkg && cp -r player-wasm/pkg www/pkg
cargo build -j2 -p wasmpeg-relay
mkdir -p tests/out
ffmpeg -hide_banner -loglevel error -y -f lavfi -i color=c=0x3050A0:s=320x240:r=25:d=2 \
  -c:v mpeg1video -q:v 2 -f mpegts tests/out/colour.ts
# 20 s, blue then red, with noise so that it is big enough (1.6 MB) to need Range requests.
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "color=c=0x2040C0:s=320x240:r=25:d=10,noise=alls=12:allf=t+u" \
  -f lavfi -i "color=c=0xC04020:s=320x240:r=25:d=10,noise=alls=12:allf=t+u" \
  -filter_complex "[0][1]concat=n=2:v=1:a=0" -c:v mpeg1video -q:v 4 -f mpegts tests/out/long.ts
python3 player-wasm/tests/e2e/run.py "${CARGO_TARGET_DIR:-target}/debug/wasmpeg-relay" \
  "$(command -v chromedriver)" tests/out/colour.ts
echo "(screenshots: tests/out/demo.png, tests/out/worker-file.png)"
echo "player tests: passed"
