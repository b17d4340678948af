#!/usr/bin/env bash
# Coverage-guided fuzzing of the decoder with cargo-fuzz (libFuzzer).
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Targets: decode (whole decoder, every container), video_es (MPEG-1 video decoder alone) and
# audio_es (MPEG audio decoder alone).
# Seeds come from fixtures/ at run time; the corpus grows in fuzz/corpus/ (not committed).
# cargo-fuzz is installed with `cargo install` when missing (it says so). It runs on the stable
# toolchain with RUSTC_BOOTSTRAP=1, which lets cargo-fuzz pass its unstable compiler flags.
# A crash leaves its input in fuzz/artifacts/TARGET/ and makes this script fail.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode video_es audio_es)

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  if [ "${WASMPEG_SKIP_INSTALL:-0}" = 1 ]; then
    echo "error: cargo-fuzz is missing; install it with: cargo install cargo-fuzz --locked" >&2
    exit 1
  fi
  printf '\n==> Installing cargo-fuzz (cargo install cargo-fuzz --locked)\n'
  cargo install -j2 cargo-fuzz --locked
fi

seed() { # seed TARGET FILE BYTES
  mkdir -p "fuzz/corpus/$1"
  head -c "$3" "fixtures/$2" > "fuzz/corpus/$1/seed-$2"
}
seed decode tiny_16x16.m1v 4000
seed decode odd_100x75.m1v 20000
seed decode ip_bf0_352x288.ts 60000
seed decode odd_322x242.ts 40000
seed decode vcd_pal.mpg 60000
seed decode userdata_352x288.m1v 30000
seed decode mp2_48k_joint_160k_crc_twolame.mp2 8000
seed audio_es mp2_48k_joint_160k_crc_twolame.mp2 8000
seed audio_es mp2_44k_dual_192k_crc_twolame.mp2 8000
seed audio_es mp2_16k_mono_24k.mp2 4000
seed video_es tiny_16x16.m1v 4000
seed video_es odd_100x75.m1v 20000

for target in "${targets[@]}"; do
  printf '\n==> Fuzzing %s for %s s\n' "$target" "$seconds"
  (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -j2 "$target" -- \
      -max_total_time="$seconds" -max_len=131072 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 2>&1 |
    grep -E 'Done|stat::number_of_executed_units|ERROR|panicked|SUMMARY|Test unit written|^==' || true)
  if ls "fuzz/artifacts/$target"/crash-* "fuzz/artifacts/$target"/timeout-* "fuzz/artifacts/$target"/oom-* >/dev/null 2>&1; then
    echo "error: the fuzzer found a failing input for $target: see fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
echo "fuzzing: 0 crashes"
