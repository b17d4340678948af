#!/usr/bin/env bash
# See it work: builds the browser player into www/pkg, then starts the relay with its built-in
# demo stream. Open http://127.0.0.1:8080/ (video and sound; click the page to let it play sound).
# On a fresh machine with only rustup's Rust it first installs, saying so:
#   - the Rust target wasm32-unknown-unknown (rustup)
#   - wasm-pack, and wasm-bindgen-cli at the exact version the player pins (cargo install), so
#     that nothing downloads prebuilt binaries
# Extra arguments go to the relay (see: cargo run --release -p wasmpeg-relay -- --help).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "Installing Rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
if ! command -v wasm-pack >/dev/null; then
  say "Installing wasm-pack (cargo install wasm-pack --locked)"
  cargo install -j2 wasm-pack --locked
fi
bindgen_version=$(sed -nE 's/^wasm-bindgen = "=([0-9.]+)"/\1/p' player-wasm/Cargo.toml)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  say "Installing wasm-bindgen-cli $bindgen_version (must match the player's pin)"
  cargo install -j2 wasm-bindgen-cli --version "=$bindgen_version"
fi

say "Building the player (wasm-pack build player-wasm --target web --release) into www/pkg"
wasm-pack build player-wasm --target web --release --out-dir ../www/pkg >&2

say "Starting the relay on http://127.0.0.1:8080/ (Ctrl+C to stop)"
exec cargo run --release -p wasmpeg-relay -- "$@"
