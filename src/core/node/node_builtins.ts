/**
 * The Node built-ins whose first import brings up most of Deno's Node layer (streams, `process`,
 * Node's errors and `util`): ~50 ms of CPU together, more than any of Kiln's own folders. A
 * `kiln serve` process loads them with the definition engines, on the first use that needs
 * either (ADR 0032), so `/healthz` answers before they are in; every other process has them when
 * this module loads, and their synchronous use works as it always did.
 *
 * Light built-ins (`node:path`, `node:buffer`, `node:sqlite`) are imported directly where used.
 */
import type * as ChildProcess from "node:child_process";
import type * as Crypto from "node:crypto";
import type * as Fs from "node:fs";
import type * as Process from "node:process";
import type * as Timers from "node:timers";
import type * as Zlib from "node:zlib";
import { KilnError } from "../errors/mod.ts";
import { SERVE_PROCESS } from "../serve_process.ts";

interface NodeBuiltins {
  childProcess: typeof ChildProcess;
  crypto: typeof Crypto;
  /** What isomorphic-git takes as its file system. */
  fs: typeof Fs;
  /** `node:process`'s default export, the `process` object. */
  process: typeof Process;
  timers: typeof Timers;
  zlib: typeof Zlib;
}

let loaded: NodeBuiltins | undefined;
let loading: Promise<void> | undefined;

/** Imports the built-ins (literal specifiers, so `deno compile` embeds them); once per process. */
export function loadNodeBuiltins(): Promise<void> {
  loading ??= Promise.all([
    import("node:child_process"),
    import("node:crypto"),
    import("node:fs"),
    import("node:process"),
    import("node:timers"),
    import("node:zlib"),
  ]).then(([childProcess, crypto, fs, process, timers, zlib]) => {
    const processObject = (process as unknown as { default: typeof Process }).default;
    loaded = { childProcess, crypto, fs, process: processObject, timers, zlib };
  }, (err) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

function builtins(): NodeBuiltins {
  if (loaded) return loaded;
  throw new KilnError("INTERNAL", "a Node built-in was used before loadNodeBuiltins() finished");
}

export const nodeChildProcess = (): typeof ChildProcess => builtins().childProcess;
export const nodeCrypto = (): typeof Crypto => builtins().crypto;
export const nodeFs = (): typeof Fs => builtins().fs;
export const nodeProcess = (): typeof Process => builtins().process;
export const nodeTimers = (): typeof Timers => builtins().timers;
export const nodeZlib = (): typeof Zlib => builtins().zlib;

if (!SERVE_PROCESS) await loadNodeBuiltins();
