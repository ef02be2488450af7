// V8 (node) driver for the ewvm benchmark harness: node driver.cjs JOB.json
// Compiles once, runs one untimed warm-up (so tier-up to TurboFan has happened), then `reps`
// timed calls, each on a fresh instance; times the call only, with process.hrtime.bigint().
// Prints one JSON line {times: [seconds...], result: "..."}.
'use strict';
const fs = require('fs');
const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const bytes = fs.readFileSync(job.wasm);

function fnvBytes(u8) {
  let h = 0x811c9dc5;
  for (let i = 0; i < u8.length; i++) h = Math.imul(h ^ u8[i], 0x01000193) >>> 0;
  return h >>> 0;
}
function fnvWords(buf) {
  const w = new Uint32Array(buf, 0, buf.byteLength >>> 2);
  let h = 0x811c9dc5;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i], 0x01000193) >>> 0;
  return h >>> 0;
}
const hex8 = (x) => x.toString(16).padStart(8, '0');
const hex16 = (x) => x.toString(16).padStart(16, '0');

function valueString(ty, v) {
  if (ty === 'i32') return 'i32:0x' + hex8(v >>> 0);
  if (ty === 'i64') return 'i64:0x' + hex16(BigInt.asUintN(64, v));
  const f = new DataView(new ArrayBuffer(8));
  if (ty === 'f32') { f.setFloat32(0, v, true); return 'f32:0x' + hex8(f.getUint32(0, true)); }
  f.setFloat64(0, v, true);
  return 'f64:0x' + hex16(f.getBigUint64(0, true));
}

class Halt extends Error {}

function contractImports(state) {
  const mem = () => new Uint8Array(state.instance.exports.memory.buffer);
  return {
    ethereum: {
      useGas: (g) => {
        if (state.gas < g) throw new Error('out of gas');
        state.gas -= g;
      },
      getGasLeft: () => state.gas,
      getCallDataSize: () => state.calldata.length,
      callDataCopy: (res, off, len) => {
        mem().set(state.calldata.subarray(off >>> 0, (off >>> 0) + (len >>> 0)), res >>> 0);
      },
      finish: (p, n) => {
        state.halt = 'finish:' + hex8(fnvBytes(mem().slice(p >>> 0, (p >>> 0) + (n >>> 0))));
        throw new Halt();
      },
      revert: (p, n) => {
        state.halt = 'revert:' + hex8(fnvBytes(mem().slice(p >>> 0, (p >>> 0) + (n >>> 0))));
        throw new Halt();
      },
    },
  };
}

const compiled = new WebAssembly.Module(bytes);
const times = [];
let result = null;

if (job.mode === 'startup') {
  for (let r = 0; r < job.reps; r++) {
    const t = process.hrtime.bigint();
    const m = new WebAssembly.Module(bytes);
    const state = { gas: 0n, calldata: new Uint8Array(0), halt: null };
    state.instance = new WebAssembly.Instance(m, contractImports(state));
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  result = 'instantiated';
} else if (job.mode === 'kernel') {
  const args = job.args.map(([ty, v]) => (ty === 'i64' ? BigInt.asIntN(64, BigInt(v)) : Number(v)));
  for (let r = 0; r < job.reps + 1; r++) {
    const inst = new WebAssembly.Instance(compiled, {});
    const f = inst.exports[job.func];
    const t = process.hrtime.bigint();
    const v = f(...args);
    const dt = Number(process.hrtime.bigint() - t) / 1e9;
    if (r > 0) times.push(dt);
    result = valueString(job.result, v);
  }
} else {
  const calldata = Uint8Array.from(Buffer.from(job.calldata, 'hex'));
  for (let r = 0; r < job.reps + 1; r++) {
    const state = { gas: BigInt(job.gas), calldata, halt: null };
    state.instance = new WebAssembly.Instance(compiled, contractImports(state));
    const main = state.instance.exports.main;
    let trapped = false;
    const t = process.hrtime.bigint();
    try {
      main();
    } catch (e) {
      trapped = true;
      if (!(e instanceof Halt)) state.trap = String(e);
    }
    const dt = Number(process.hrtime.bigint() - t) / 1e9;
    if (r > 0) times.push(dt);
    if (state.halt) result = state.halt;
    else if (trapped) result = 'trap';
    else result = 'return:mem=' + hex8(fnvWords(state.instance.exports.memory.buffer));
    if (state.trap) result = 'trap';
  }
}
process.stdout.write(JSON.stringify({ times, result }) + '\n');
