/**
 * WASI preview2 imports a component gets in its worker, as JavaScript source (the worker is a
 * self-contained blob, so it runs inside `deno compile` without extra files). Nothing here reaches
 * the host system: no preopened directories, an empty environment and argument list, stdin closed,
 * stdout and stderr forwarded as console log lines, clocks and randomness only. Sockets and HTTP
 * are not offered at all, so a component importing them is refused before it runs.
 */
export const WASI_DENY_SOURCE = String.raw`
class WasiError { constructor(message) { this.message = message; } toDebugString() { return this.message; } }
class Pollable { ready() { return true; } block() {} }
class InputStream {
  read() { throw { tag: "closed" }; }
  blockingRead() { throw { tag: "closed" }; }
  skip() { throw { tag: "closed" }; }
  blockingSkip() { throw { tag: "closed" }; }
  subscribe() { return new Pollable(); }
}
class OutputStream {
  constructor(write) { this.sink = write; }
  checkWrite() { return 65536n; }
  write(bytes) { this.sink(bytes); }
  blockingWriteAndFlush(bytes) { this.sink(bytes); }
  flush() {}
  blockingFlush() {}
  writeZeroes(n) { spendOutput(Number(n)); this.sink(new Uint8Array(Number(n))); }
  blockingWriteZeroesAndFlush(n) { this.writeZeroes(n); }
  splice() { throw { tag: "closed" }; }
  blockingSplice() { throw { tag: "closed" }; }
  subscribe() { return new Pollable(); }
}
class Descriptor {}
class DirectoryEntryStream {}
class TerminalInput {}
class TerminalOutput {}
class ComponentExit extends Error {
  constructor(code) { super("component called exit(" + code + ")"); this.exitCode = code; }
}
// Each write is charged to the run's output budget first and scanned once; a line longer than
// MAX_LINE keeps only its start, so no write pattern buffers or rescans more than that.
const MAX_LINE = 8192;
function lineSink(level) {
  const decoder = new TextDecoder();
  let pending = "";
  return (bytes) => {
    spendOutput(bytes.length);
    const text = decoder.decode(bytes, { stream: true });
    let at = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", at)) {
      postLog(level, pending + text.slice(at, Math.min(nl, at + MAX_LINE)), "console");
      pending = "";
      at = nl + 1;
    }
    if (pending.length < MAX_LINE) pending += text.slice(at, at + MAX_LINE - pending.length);
  };
}
function wasiImports() {
  const stdout = new OutputStream(lineSink("info"));
  const stderr = new OutputStream(lineSink("error"));
  const stdin = new InputStream();
  const randomBytes = (len) => crypto.getRandomValues(new Uint8Array(Number(len)));
  const randomU64 = () => crypto.getRandomValues(new BigUint64Array(1))[0];
  return {
    "wasi:cli/environment": {
      getEnvironment: () => [],
      getArguments: () => [],
      initialCwd: () => undefined,
    },
    "wasi:cli/exit": {
      exit(status) { throw new ComponentExit(status.tag === "ok" ? 0 : 1); },
      exitWithCode(code) { throw new ComponentExit(code); },
    },
    "wasi:cli/stdin": { getStdin: () => stdin },
    "wasi:cli/stdout": { getStdout: () => stdout },
    "wasi:cli/stderr": { getStderr: () => stderr },
    "wasi:cli/terminal-input": { TerminalInput },
    "wasi:cli/terminal-output": { TerminalOutput },
    "wasi:cli/terminal-stdin": { getTerminalStdin: () => undefined },
    "wasi:cli/terminal-stdout": { getTerminalStdout: () => undefined },
    "wasi:cli/terminal-stderr": { getTerminalStderr: () => undefined },
    "wasi:io/error": { Error: WasiError },
    "wasi:io/poll": { Pollable, poll: (list) => new Uint32Array(list.map((_, i) => i)) },
    "wasi:io/streams": { InputStream, OutputStream },
    "wasi:clocks/wall-clock": {
      now() {
        const ms = Date.now();
        return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1e6 };
      },
      resolution: () => ({ seconds: 0n, nanoseconds: 1e6 }),
    },
    "wasi:clocks/monotonic-clock": {
      now: () => BigInt(Math.floor(performance.now() * 1e6)),
      resolution: () => 1000n,
      subscribeInstant: () => new Pollable(),
      subscribeDuration: () => new Pollable(),
    },
    "wasi:random/random": { getRandomBytes: randomBytes, getRandomU64: randomU64 },
    "wasi:random/insecure": { getInsecureRandomBytes: randomBytes, getInsecureRandomU64: randomU64 },
    "wasi:random/insecure-seed": { insecureSeed: () => [randomU64(), randomU64()] },
    "wasi:filesystem/preopens": { getDirectories: () => [] },
    "wasi:filesystem/types": {
      Descriptor,
      DirectoryEntryStream,
      filesystemErrorCode: () => undefined,
    },
  };
}
`;

/** WASI interfaces the worker answers; a component importing any other `wasi:` one is refused. */
export const OFFERED_WASI = [
  "wasi:cli/environment",
  "wasi:cli/exit",
  "wasi:cli/stdin",
  "wasi:cli/stdout",
  "wasi:cli/stderr",
  "wasi:cli/terminal-input",
  "wasi:cli/terminal-output",
  "wasi:cli/terminal-stdin",
  "wasi:cli/terminal-stdout",
  "wasi:cli/terminal-stderr",
  "wasi:io/error",
  "wasi:io/poll",
  "wasi:io/streams",
  "wasi:clocks/wall-clock",
  "wasi:clocks/monotonic-clock",
  "wasi:random/random",
  "wasi:random/insecure",
  "wasi:random/insecure-seed",
  "wasi:filesystem/preopens",
  "wasi:filesystem/types",
];
