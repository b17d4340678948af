#!/usr/bin/env bash
# Runs every test of the workspace. On a fresh Debian/Ubuntu machine with only rustup's Rust it
# first installs what the tests need, saying what it installs:
#   - Debian packages: ffmpeg (reference decoder and stream maker for the conformance tests)
#   - Rust targets: wasm32-unknown-unknown and x86_64-unknown-none (no_std builds)
#   - cargo-fuzz (cargo install), for a short coverage-guided fuzz run of the decoder
#   - for the browser player (via scripts/test-player.sh): Debian chromium and chromium-driver,
#     wasm-pack and wasm-bindgen-cli (cargo install), Binaryen's wasm-opt (npm)
# Then: formatting and clippy checks, the no_std builds, `cargo test --workspace`, and the fuzz
# smoke run.
#
# Environment:
#   WASMPEG_CONFORMANCE_DIR        folder of ISO MP2 conformance streams (optional)
#   WASMPEG_CONFORMANCE_VIDEO_DIR  folder holding big_buck_bunny.mpg (optional)
#   WASMPEG_SKIP_INSTALL=1         never install anything (fail instead if something is missing)
#   WASMPEG_FUZZ_SECONDS           seconds per fuzz target (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "error: need root (or sudo) to run: $*" >&2; exit 1
  fi
}

apt_updated=0
need_deb() { # need_deb COMMAND PACKAGE...
  local cmd=$1; shift
  if command -v "$cmd" >/dev/null 2>&1; then return; fi
  if [ "${WASMPEG_SKIP_INSTALL:-0}" = 1 ]; then
    echo "error: '$cmd' is missing; install the Debian package(s): $*" >&2; exit 1
  fi
  if ! command -v apt-get >/dev/null; then
    echo "error: '$cmd' is missing and this is not a Debian-like system; install: $*" >&2; exit 1
  fi
  say "Installing Debian package(s) $* (for '$cmd')"
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

need_deb ffmpeg ffmpeg
need_deb ffprobe ffmpeg

for target in wasm32-unknown-unknown x86_64-unknown-none; do
  if ! rustup target list --installed | grep -qx "$target"; then
    say "Installing Rust target $target"
    rustup target add "$target"
  fi
done
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    say "Installing Rust component $component"
    rustup component add "$component"
  fi
done

say "Formatting (cargo fmt --check)"
cargo fmt --all -- --check

say "Lints (cargo clippy --all-targets -D warnings)"
cargo clippy -j2 --workspace --all-targets -- -D warnings

say "Documentation (cargo doc --workspace --no-deps, warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc -j2 --workspace --no-deps

say "no_std builds of the decoder (wasm32-unknown-unknown, x86_64-unknown-none)"
cargo build -j2 -p wasmpeg --lib --no-default-features --target wasm32-unknown-unknown
cargo build -j2 -p wasmpeg --lib --no-default-features --target x86_64-unknown-none

say "Tests (cargo test --workspace)"
test_log=$(mktemp)
trap 'rm -f "$test_log"' EXIT
cargo test -j2 --workspace 2>&1 | tee "$test_log"
passed=$(grep -E '^test result:' "$test_log" | sed -E 's/.* ([0-9]+) passed.*/\1/' | awk '{ s += $1 } END { print s + 0 }')
failed=$(grep -E '^test result:' "$test_log" | sed -E 's/.* ([0-9]+) failed.*/\1/' | awk '{ s += $1 } END { print s + 0 }')

say "Browser player (scripts/test-player.sh: headless Chromium, installs what it needs)"
./scripts/test-player.sh

say "Fuzz smoke run (scripts/fuzz.sh, ${WASMPEG_FUZZ_SECONDS:-20} s per target; longer runs: scripts/fuzz.sh 600)"
./scripts/fuzz.sh "${WASMPEG_FUZZ_SECONDS:-20}"

# One closing line for every runner above (cargo test stops the script on any failure).
echo "tests: ${passed} passed, ${failed} failed"
