/**
 * The component worker, as JavaScript source for a blob: URL worker started with no permissions.
 * It compiles one transpiled component once, then instantiates it afresh for every execution, so
 * no guest state survives between requests. Host imports cross to the parent by message: `log`
 * fire-and-forget, `mcp.call` as a promise the guest awaits suspended (JSPI).
 *
 * Parent → worker: `load {js, modules}` (core modules compiled once per process), `run {entry, requestJson, contextJson}`,
 * `callResult {id, ok, value}`, `ping`. Worker → parent: `loaded`, `log {level, message, source}`,
 * `call {id, tool, paramsJson}`, `done {ok, value} | {appError} | {trap {kind, message}}`, `pong`.
 * A result or error text past the run's output budget is not sent: the run is reported as
 * `overflow` (its frames cross a process boundary, bounded by that budget).
 */
import { WASI_DENY_SOURCE } from "./_wasi_deny_source.ts";

export const WORKER_SOURCE = String.raw`
"use strict";
Object.defineProperty(globalThis, "process", { value: undefined, configurable: false });
function postLog(level, message, source) { self.postMessage({ type: "log", level, message, source }); }
// What a run may still write (logs, stdout, stderr); past it the guest traps and the parent
// reports the run as killed for output.
let outputLeft = Infinity;
function spendOutput(bytes) {
  outputLeft -= bytes;
  if (outputLeft >= 0) return;
  if (outputLeft + bytes >= 0) self.postMessage({ type: "overflow" });
  throw new Error("the component's output exceeded its budget");
}
function emitLog(level, message, source) {
  spendOutput(message.length);
  postLog(level, message, source);
}
${WASI_DENY_SOURCE}
let component;
let modules;
let nextCall = 0;
const pendingCalls = new Map();
let memories = [];

function kilnImports() {
  return {
    "kiln:host/log": { log: (level, message) => emitLog(level, message, "sdk") },
    "kiln:host/mcp": {
      call: (tool, paramsJson) => new Promise((resolve) => {
        const id = nextCall++;
        pendingCalls.set(id, resolve);
        self.postMessage({ type: "call", id, tool, paramsJson });
      }),
    },
  };
}

function instantiateCore(module, imports) {
  return WebAssembly.instantiate(module, imports).then((instance) => {
    for (const value of Object.values(instance.exports)) {
      if (value instanceof WebAssembly.Memory) memories.push(value);
    }
    return { exports: instance.exports };
  });
}

function trapOf(err, memoryLimitBytes) {
  const message = (err instanceof Error ? err.message : String(err)).slice(0, 4096);
  if (err instanceof RangeError && /call stack/i.test(message)) return { kind: "stack", message };
  const largest = Math.max(0, ...memories.map((m) => m.buffer.byteLength));
  if (largest + 65536 * 16 >= memoryLimitBytes) return { kind: "memory", message, bytes: largest };
  if (err && typeof err.exitCode === "number") return { kind: "exit", message, code: err.exitCode };
  return { kind: "crash", message };
}

async function load(msg) {
  const url = URL.createObjectURL(new Blob([msg.js], { type: "text/javascript" }));
  component = await import(url);
  URL.revokeObjectURL(url);
  modules = msg.modules;
}

async function run(msg) {
  memories = [];
  outputLeft = msg.maxOutputBytes;
  try {
    const imports = { ...wasiImports(), ...kilnImports() };
    const instance = await component.instantiate((name) => modules[name], imports, instantiateCore);
    const value = String(await instance[msg.entry](msg.requestJson, msg.contextJson));
    if (value.length > msg.maxOutputBytes) return overflowed();
    return { type: "done", ok: true, value };
  } catch (err) {
    if (typeof err === "string") {
      // An engine inside the component (componentize-js's SpiderMonkey) turns a failed
      // memory.grow into its own "out of memory" error. With its memory grown past half the
      // ceiling (the allocation that failed may have been megabytes), that is the limit's kill,
      // not the app's answer.
      const largest = Math.max(0, ...memories.map((m) => m.buffer.byteLength));
      if (/^(uncaught )?out of memory$/i.test(err.trim()) && largest >= msg.memoryLimitBytes / 2) {
        return { type: "done", trap: { kind: "memory", message: err, bytes: largest } };
      }
      if (err.length > msg.maxOutputBytes) return overflowed();
      return { type: "done", appError: err };
    }
    return { type: "done", trap: trapOf(err, msg.memoryLimitBytes) };
  }
}

function overflowed() {
  self.postMessage({ type: "overflow" });
  return { type: "done", ok: true, value: "" };
}

self.onmessage = async (event) => {
  const msg = event.data;
  // Kiln's host is about to end this worker: answering shows its thread is not stuck in a loop.
  if (msg.type === "ping") return self.postMessage({ type: "pong" });
  if (msg.type === "callResult") {
    const resolve = pendingCalls.get(msg.id);
    pendingCalls.delete(msg.id);
    resolve?.({ tag: msg.ok ? "ok" : "err", val: msg.value });
  } else if (msg.type === "load") {
    try {
      await load(msg);
      self.postMessage({ type: "loaded" });
    } catch (err) {
      self.postMessage({ type: "loaded", error: err instanceof Error ? err.message : String(err) });
    }
  } else if (msg.type === "run") {
    self.postMessage(await run(msg));
  }
};
`;
