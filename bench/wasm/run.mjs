#!/usr/bin/env node
// bench/wasm/run.mjs - decode speed of wasmpeg compiled to wasm32, in Node, next to JSMpeg's
// JS and WASM decoders (and wasmpeg native), on the same MPEG-TS streams. Normally started by
// `bench/compare.sh -m wasm`, which builds and installs everything this needs.
//
// Usage:
//   node --expose-gc bench/wasm/run.mjs [--rounds N] [--warmup N] --jsmpeg FILE
//        --wasmpeg LABEL=DIR [--wasmpeg LABEL=DIR...] [--native BIN] KIND:NAME:PATH...
//
//   --jsmpeg FILE        JSMpeg as a CommonJS module: dist/jsmpeg-player.cjs of the npm package
//                        @cycjimmy/jsmpeg-player (JSMpeg 1.x with its inlined WASM)
//   --wasmpeg LABEL=DIR  a `wasm-bindgen --target nodejs` build of bench/wasm-decode; the first
//                        one is the one the ratios are about, later ones (say a wasm-opt -O3
//                        build) get one ratio line against it
//   --native BIN         the wasmpeg-bench-native program (the same decode loop, native)
//   --rounds N           timed rounds (default 5); --warmup N untimed runs first (default 1)
//   KIND:NAME:PATH       a stream to time: KIND is video or audio (only that stream of the
//                        file is decoded), NAME is what the tables show
//
// Method (the one reference/performance.md §0 used for JSMpeg): everything runs in this one
// process, except the native program, which times itself the same way and is asked over a
// pipe. One run = one whole file, in memory, through a fresh demuxer and decoder:
//   - JSMpeg: `JSMpeg.Demuxer.TS` -> `Decoder.MPEG1Video` / `MPEG1VideoWASM` (instantiated from
//     `WASM_BINARY_INLINED` with `JSMpeg.WASMModule.loadFromBuffer`) or `MP2Audio` /
//     `MP2AudioWASM`, options {streaming: false, decodeFirstFrame: false}, the renderer and the
//     audio output replaced by call counters; the time covers `demuxer.write(wholeFile)` plus
//     `while (decoder.decode())`.
//   - wasmpeg (wasm and native): `wasmpeg::Decoder` with only the measured stream enabled,
//     `push(wholeFile)`, `finish()`, all events drained; the file is copied into the module's
//     memory once, before the clock starts.
// Each decoder reads one byte of every picture (one sample of every audio frame). Every round
// runs every decoder on every stream, the order rotating from round to round; the figure is
// the median over the rounds. With --expose-gc, a garbage collection runs before each timed run.
// Two clocks: wall-clock time (performance.now(), the reference method) and CPU time
// (process.cpuUsage(): user + system time of the whole process, so V8's background threads -
// concurrent GC, JIT compilation - count too), which other processes competing for the cores
// hardly affect; the ratios are given by both.
//
// frames/s = the stream's frame count as wasmpeg decodes it / median time, for every decoder,
// so the ratios are ratios of the time taken to get through the same stream. JSMpeg skips
// B-pictures (it decodes only the I and P pictures, and its WASM decoder shows the previous
// picture again instead); on such streams (marked *) it does less work than wasmpeg, and the
// ratios understate wasmpeg.

import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cpus } from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const VIDEO = 1;
const AUDIO = 2;

// ---------------------------------------------------------------------------------------------
// Arguments.

function usage(message) {
  if (message) console.error(`run.mjs: ${message}`);
  console.error('usage: node --expose-gc bench/wasm/run.mjs [--rounds N] [--warmup N] --jsmpeg FILE '
    + '--wasmpeg LABEL=DIR... [--native BIN] KIND:NAME:PATH...');
  process.exit(2);
}

const opts = { rounds: 5, warmup: 1, jsmpeg: null, wasmpeg: [], native: null, inputs: [] };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
  if (a === '--rounds' || a === '--warmup') {
    const n = Number(value());
    if (!Number.isInteger(n) || n < (a === '--rounds' ? 1 : 0)) usage(`bad ${a}`);
    opts[a.slice(2)] = n;
  } else if (a === '--jsmpeg') {
    opts.jsmpeg = value();
  } else if (a === '--wasmpeg') {
    const v = value();
    const eq = v.indexOf('=');
    if (eq < 1) usage('--wasmpeg wants LABEL=DIR');
    opts.wasmpeg.push({ label: v.slice(0, eq), dir: v.slice(eq + 1) });
  } else if (a === '--native') {
    opts.native = value();
  } else if (a === '-h' || a === '--help') {
    usage();
  } else if (a.startsWith('-')) {
    usage(`unknown option ${a}`);
  } else {
    const m = /^(video|audio):([^:]*):(.+)$/.exec(a);
    if (!m) usage(`bad input ${a} (want KIND:NAME:PATH)`);
    opts.inputs.push({ kind: m[1], name: m[2] || path.basename(m[3]), path: m[3] });
  }
}
if (!opts.jsmpeg || opts.wasmpeg.length === 0 || opts.inputs.length === 0) {
  usage('--jsmpeg, --wasmpeg and at least one input are needed');
}

const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};

// CPU time of this process in ms (user + system, all threads: getrusage). Unlike wall-clock
// time, it hardly moves when other processes compete for the cores.
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
// Runs fn() and adds its wall-clock and CPU times (ms) to what it returns.
function timed(fn) {
  const c0 = cpuMs();
  const t0 = performance.now();
  const result = fn();
  const ms = performance.now() - t0;
  return { ...result, ms, cpu: cpuMs() - c0 };
}

// ---------------------------------------------------------------------------------------------
// The decoders. Each is {label, prepare(input), run(input) -> {ms, frames, extra}}.

// wasmpeg compiled to wasm32 (a wasm-bindgen nodejs package).
function wasmpegWasm({ label, dir }) {
  const file = path.resolve(dir, 'wasmpeg_bench_wasm.js');
  const mod = require(file);
  const wasmSize = statSync(path.resolve(dir, 'wasmpeg_bench_wasm_bg.wasm')).size;
  const loaded = new Map();
  return {
    label,
    note: `${wasmSize.toLocaleString('en')} B of wasm`,
    prepare(input) {
      loaded.set(input, new mod.Input(input.bytes));
    },
    run(input) {
      const data = loaded.get(input);
      const mode = input.kind === 'video' ? VIDEO : AUDIO;
      return timed(() => {
        const [v, a] = data.decode(mode);
        return { frames: mode === VIDEO ? v : a };
      });
    },
  };
}

// wasmpeg native: the same loop, in a child process that times itself.
function wasmpegNative(bin) {
  const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  child.on('exit', (code) => {
    if (waiting.length) console.error(`run.mjs: ${bin} exited (${code})`);
    while (waiting.length) waiting.shift()('error: exited');
  });
  const ask = (input) => new Promise((resolve) => {
    waiting.push(resolve);
    child.stdin.write(`${input.kind === 'video' ? VIDEO : AUDIO} ${input.path}\n`);
  });
  return {
    label: 'native',
    note: 'wasmpeg native (same loop)',
    prepare() {},
    async run(input) {
      const line = await ask(input);
      const f = line.split(' ').map(Number);
      if (f.length !== 5 || f.some(Number.isNaN)) throw new Error(`native: ${line}`);
      return { ms: f[3] / 1e6, cpu: f[4] < 0 ? NaN : f[4] / 1e6, frames: input.kind === 'video' ? f[0] : f[1] };
    },
    close() {
      child.stdin.end();
    },
  };
}

// JSMpeg, JS or WASM decoders, driven as its Player drives them, minus the Player.
async function loadJsmpeg(file) {
  // Minimal shims: JSMpeg reads `window.performance` and `window.atob` through `window`; the
  // decoders and the demuxer touch nothing else of the browser (no `document` needed).
  globalThis.window ??= globalThis;
  const J = require(path.resolve(file));
  // @cycjimmy/jsmpeg-player 6.x's port of BitBuffer.findStartCode lost upstream's loop: it
  // gives up (-1) when the next start code is not the one asked for, so `decode()` returns
  // false at every GOP header and after every skipped B-picture (its Player just calls it
  // again on the next tick). Put back upstream JSMpeg's version (src/buffer.js), so that
  // `while (decoder.decode())` walks the whole stream as it does with upstream.
  J.BitBuffer.prototype.findStartCode = function findStartCode(code) {
    for (;;) {
      const current = this.findNextStartCode();
      if (current === code || current === -1) return current;
    }
  };
  const module = J.WASMModule.GetModule();
  await new Promise((resolve, reject) => {
    module.loadFromBuffer(J.Base64ToArrayBuffer(J.WASM_BINARY_INLINED), (m) => (
      m ? resolve() : reject(new Error('JSMpeg WASM module did not load'))));
  });
  return { J, module };
}

function jsmpeg({ J, module }, useWasm) {
  let wasmSize = 0;
  if (useWasm) wasmSize = J.Base64ToArrayBuffer(J.WASM_BINARY_INLINED).byteLength;
  return {
    label: useWasm ? 'JSMpeg-WASM' : 'JSMpeg-JS',
    note: useWasm ? `${wasmSize.toLocaleString('en')} B of wasm (inlined)` : 'JS decoders',
    prepare() {},
    run(input) {
      const options = { streaming: false, decodeFirstFrame: false };
      if (useWasm) options.wasmModule = module;
      const demuxer = new J.Demuxer.TS(options);
      let frames = 0;
      let touched = 0;
      let decoder;
      if (input.kind === 'video') {
        decoder = useWasm ? new J.Decoder.MPEG1VideoWASM(options) : new J.Decoder.MPEG1Video(options);
        decoder.connect({
          enabled: true,
          render(y) { frames++; touched += y[y.length >> 1]; },
          resize() {},
        });
        demuxer.connect(J.Demuxer.TS.STREAM.VIDEO_1, decoder);
      } else {
        decoder = useWasm ? new J.Decoder.MP2AudioWASM(options) : new J.Decoder.MP2Audio(options);
        decoder.connect({
          enabled: true,
          enqueuedTime: 0,
          play(rate, left) { frames++; touched += left[0]; },
          resetEnqueuedTime() {},
          stop() {},
        });
        demuxer.connect(J.Demuxer.TS.STREAM.AUDIO_1, decoder);
      }
      const result = timed(() => {
        demuxer.write(input.bytes);
        let pictures = 0;
        while (decoder.decode()) pictures++;
        return { pictures };
      });
      decoder.destroy();
      if (Number.isNaN(touched)) throw new Error('NaN');
      return { ...result, frames };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Measuring.

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const geomean = (xs) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

for (const input of opts.inputs) {
  input.bytes = new Uint8Array(readFileSync(input.path));
}

const js = await loadJsmpeg(opts.jsmpeg);
const decoders = [
  ...opts.wasmpeg.map(wasmpegWasm),
  jsmpeg(js, true),
  jsmpeg(js, false),
];
if (opts.native) decoders.push(wasmpegNative(opts.native));
const primary = decoders[0];
const byLabel = Object.fromEntries(decoders.map((d) => [d.label, d]));

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.error(`== Node ${process.version}, ${cpu}; ${opts.inputs.length} stream(s), `
  + `${opts.warmup} warm-up run(s) and ${opts.rounds} rounds`);
for (const d of decoders) console.error(`   ${d.label}: ${d.note}`);
if (globalThis.gc === undefined) console.error('   (no --expose-gc: no collection before each run)');

// results[inputIndex][label] = {ms: [per round], frames, pictures}
const results = opts.inputs.map(() => ({}));

for (const [i, input] of opts.inputs.entries()) {
  for (const d of decoders) {
    d.prepare(input);
    for (let w = 0; w < opts.warmup; w++) {
      gc();
      const r = await d.run(input);
      results[i][d.label] = { ms: [], cpu: [], frames: r.frames, pictures: r.pictures };
    }
  }
}

for (let round = 0; round < opts.rounds; round++) {
  for (const [i, input] of opts.inputs.entries()) {
    const k = round % decoders.length;
    const order = [...decoders.slice(k), ...decoders.slice(0, k)];
    for (const d of order) {
      gc();
      const r = await d.run(input);
      const slot = (results[i][d.label] ??= { ms: [], cpu: [] });
      slot.ms.push(r.ms);
      slot.cpu.push(r.cpu);
      slot.frames = r.frames;
      slot.pictures = r.pictures;
    }
  }
  console.error(`   round ${round + 1}/${opts.rounds} done`);
}
for (const d of decoders) d.close?.();

// ---------------------------------------------------------------------------------------------
// Reporting.

const warnings = [];
const fmt = (x, width) => (Number.isFinite(x) ? x.toFixed(1) : '-').padStart(width);
const fmtRatio = (x, width) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : '-').padStart(width);
const haveCpu = results.every((r) => Object.values(r).every((x) => x.cpu.every(Number.isFinite)));
const against = ['JSMpeg-WASM', 'JSMpeg-JS', 'native'].filter((l) => byLabel[l]);
let anyMarked = false;

function report(kind) {
  const rows = opts.inputs.map((input, i) => ({ input, r: results[i] }))
    .filter(({ input }) => input.kind === kind);
  if (rows.length === 0) return;
  const unit = kind === 'video' ? 'fps' : 'frames/s';
  // A stream is marked when JSMpeg delivers fewer frames, or skips pictures it parsed.
  const names = rows.map(({ input, r }) => {
    const n = r[primary.label].frames;
    const fewer = ['JSMpeg-JS', 'JSMpeg-WASM'].some((l) => r[l].frames < n)
      || r['JSMpeg-JS'].pictures > r['JSMpeg-JS'].frames;
    anyMarked ||= fewer;
    return input.name + (fewer ? ' *' : '');
  });
  const wn = Math.max(24, ...names.map((n) => n.length + 2));
  const frames = rows.map(({ r }) => r[primary.label].frames);
  // fps[metric][row][label]: the stream's frames (as wasmpeg decodes them) / median time.
  const fps = (metric) => rows.map(({ r }, j) => Object.fromEntries(
    decoders.map((d) => [d.label, frames[j] / (median(r[d.label][metric]) / 1000)]),
  ));

  const fpsTable = (metric, clock) => {
    console.log();
    console.log(`${kind}: ${unit} by ${clock} of a whole-stream decode in process (demux `
      + `included; median of ${opts.rounds} interleaved rounds; one thread)`);
    const cols = decoders.map((d) => ({ label: d.label, w: Math.max(10, d.label.length + 2) }));
    let header = `${'stream'.padEnd(wn)}${'frames'.padStart(7)}`;
    for (const { label, w } of cols) header += label.padStart(w);
    console.log(header);
    console.log('-'.repeat(header.length));
    const f = fps(metric);
    rows.forEach((_, j) => {
      let line = `${names[j].padEnd(wn)}${String(frames[j]).padStart(7)}`;
      for (const { label, w } of cols) line += fmt(f[j][label], w);
      console.log(line);
    });
  };
  fpsTable('ms', 'wall-clock time');

  // Ratios of the primary wasm build to the others (above 1: it is faster).
  const ratioTable = (metric, title) => {
    const f = fps(metric);
    const widths = against.map((l) => Math.max(18, primary.label.length + l.length + 3));
    console.log();
    let h = `${title.padEnd(wn + 7)}`;
    against.forEach((l, k) => { h += `${primary.label}/${l}`.padStart(widths[k]); });
    h += '   per-round ratios to JSMpeg-WASM';
    console.log(h);
    console.log('-'.repeat(h.length));
    const all = against.map(() => []);
    rows.forEach(({ r }, j) => {
      let line = names[j].padEnd(wn + 7);
      against.forEach((l, k) => {
        const x = f[j][primary.label] / f[j][l];
        all[k].push(x);
        line += fmtRatio(x, widths[k]);
      });
      const pr = r[primary.label][metric].map((t, k) => r['JSMpeg-WASM'][metric][k] / t)
        .sort((a, b) => a - b);
      line += `   median ${median(pr).toFixed(2)}x, range ${pr[0].toFixed(2)}x..${pr.at(-1).toFixed(2)}x`;
      console.log(line);
    });
    let geo = 'geometric mean'.padEnd(wn + 7);
    against.forEach((l, k) => { geo += fmtRatio(geomean(all[k]), widths[k]); });
    console.log(geo);
    // Further wasm builds (wasm-opt) against the primary one and JSMpeg-WASM.
    for (const d of decoders.slice(1, opts.wasmpeg.length)) {
      const xs = rows.map((_, j) => f[j][d.label] / f[j][primary.label]);
      const js = geomean(rows.map((_, j) => f[j][d.label] / f[j]['JSMpeg-WASM']));
      console.log(`${d.label}/${primary.label}: ${xs.map((x) => `${x.toFixed(2)}x`).join(', ')} `
        + `(geometric mean ${geomean(xs).toFixed(2)}x); ${d.label}/JSMpeg-WASM: ${js.toFixed(2)}x`);
    }
  };
  ratioTable('ms', 'RATIO (wall-clock)');
  if (haveCpu) {
    fpsTable('cpu', 'CPU time');
    ratioTable('cpu', 'RATIO (CPU time)');
  }

  // Frame counts.
  rows.forEach(({ r }, j) => {
    const n = frames[j];
    for (const d of decoders) {
      const got = r[d.label].frames;
      if (!d.label.startsWith('JSMpeg')) {
        if (got !== n) {
          warnings.push(`${names[j]}: ${d.label} decodes ${got} ${kind} frames, `
            + `${primary.label} ${n} (they should be equal)`);
        }
      } else if (got !== n) {
        const p = r[d.label].pictures;
        const why = kind === 'video' && p > got ? ` (it parsed ${p} pictures, skipping B-pictures)` : '';
        warnings.push(`${names[j]}: ${d.label} delivers ${got} ${kind} frames, wasmpeg ${n}${why}`);
      }
    }
  });
}

report('video');
report('audio');
console.log();
console.log('Ratios above 1: wasmpeg\'s wasm build is faster. frames/s counts the stream\'s frames '
  + 'as wasmpeg decodes them, for every decoder, so the ratios are those of the time taken to '
  + 'decode the same stream. Wall-clock is the method of reference/performance.md; CPU time '
  + '(of the decoding process) hardly depends on what else runs on the machine, so it is the '
  + 'steadier of the two on a busy machine.');
if (anyMarked) {
  console.log('* JSMpeg delivers fewer pictures than wasmpeg or skips some (it does not decode '
    + 'B-pictures: its JS decoder drops them, its WASM decoder repeats the previous picture), '
    + 'so on these streams it does less work than wasmpeg.');
}
for (const w of warnings) console.log(`warning: ${w}`);
