/**
 * The bootstrap every isolate worker runs before any guest code: it installs the sandbox SDK
 * (`globalThis.__kiln`), captures `console` and `process.stdout`/`stderr` into the execution's log
 * budget, holds the execution's memory limit, and takes away what a guest could use to reach or
 * stop its host (`Deno`, `process.kill`, nested workers, the message port) or to reach other
 * workers of the process (`BroadcastChannel`, `navigator.locks`, `caches`). The host process
 * already has no permissions; this closes what needs none. Guest code shares this realm and can
 * replace any global or prototype, so the limits call only built-ins taken before it runs (ADR
 * 0035); Kiln counts the calls in flight and log bytes again on its side.
 *
 * Work left over from an ended execution: every execution runs inside its own async context
 * (`AsyncLocalStorage`, which Deno carries through promises, timers, `node:timers`,
 * `process.nextTick`, `queueMicrotask`, message ports and stream callbacks). The SDK acts only for
 * the execution whose context is current and still running, so a callback an earlier execution
 * scheduled can never call a tool or log as a later one; it is refused, and the worker is retired
 * once idle, since it carries stray work. `setTimeout`, `setInterval` and `AbortSignal.timeout`
 * (whose native timer loses the context) are tracked and cancelled when the execution ends.
 *
 * Shipped as source (`child.ts` hands the host its text), so it must not use anything from its
 * module scope.
 */

// deno-lint-ignore-file no-explicit-any
export async function workerMain(): Promise<void> {
  const g = globalThis as any;
  const scope = self as any;
  const post = scope.postMessage.bind(scope) as (message: unknown) => void;
  const inspect = g.Deno.inspect as (v: unknown, o?: unknown) => string;
  const { parse, stringify } = JSON;
  // Built-ins the bootstrap's limits rest on, taken before any guest code runs and called through
  // `apply`: a guest can replace what globals and prototypes hold, not these references. (Its
  // own objects' properties are set in literals: assigning one that a literal did not define
  // would call any setter a guest put on `Object.prototype`.)
  const { apply, construct } = Reflect;
  const { getOwnPropertyDescriptor: describe, values: valuesOf } = Object;
  const { AsyncLocalStorage } = await import("node:async_hooks");
  const getStore = AsyncLocalStorage.prototype.getStore;
  const runIn = AsyncLocalStorage.prototype.run;
  const heapStatistics = (await import("node:v8")).getHeapStatistics;
  const collectGarbage = typeof g.gc === "function" ? g.gc as () => void : null;
  const native = {
    setTimeout: g.setTimeout,
    clearTimeout: g.clearTimeout,
    setInterval: g.setInterval,
    clearInterval: g.clearInterval,
  };
  // Kiln's `MAX_CALLS_IN_FLIGHT`, which Kiln counts itself: this early refusal only saves frames.
  const MAX_CALLS_IN_FLIGHT = 32;
  // What one log line carries to Kiln (Kiln keeps no more); the budget counts the whole line.
  const MAX_LOG_MESSAGE = 8 * 1024;
  const MAX_LOG_FIELDS = 16 * 1024;
  // Kiln's `LOG_LINE_BYTES`: what a log line costs beyond its text.
  const LOG_LINE_BYTES = 256;
  const sliceOf = String.prototype.slice;
  const clip = (text: string) =>
    text.length > MAX_LOG_MESSAGE ? `${apply(sliceOf, text, [0, MAX_LOG_MESSAGE])}…` : text;
  /** A string however the guest's globals behave (a template literal's own conversion). */
  const toText = (value: unknown) => `${value}`;
  const byteLengthOf = describe(Object.getPrototypeOf(Uint8Array.prototype), "byteLength")!.get!;
  const decoder = new TextDecoder();
  const decode = TextDecoder.prototype.decode;
  const subarray = Uint8Array.prototype.subarray;
  interface Run {
    id: number;
    timers: Set<number>;
    calls: Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>;
    nextCall: number;
    logBytes: number;
    maxOutputBytes: number;
    memoryBytes: number;
    counts: Map<string, number>;
    clocks: Map<string, number>;
    ended: boolean;
    /** Bytes held at the last memory check (0 before the first). */
    held: number;
  }
  const context = new AsyncLocalStorage<Run>();
  let run: Run | null = null;
  /** Work from an ended execution ran here: the host retires this worker once it is idle. */
  let stale = false;

  const codeError = (code: string, message: string) => Object.assign(new Error(message), { code });
  /** The execution the caller acts for, or null (and the worker marked) for left-over work. */
  const current = (): Run | null => {
    const r = apply(getStore, context, []) as Run | undefined;
    if (r && r === run) return r;
    if (!stale) {
      stale = true;
      if (!run) post({ t: "stale" });
    }
    return null;
  };
  const finish = (r: Run, outcome: unknown) => {
    if (r.ended) return;
    r.ended = true;
    for (const h of r.timers) (native.clearTimeout(h), native.clearInterval(h));
    for (const pending of r.calls.values()) pending.reject(new Error("the execution has ended"));
    if (run === r) run = null;
    const extra = { ...(stale ? { retire: true } : {}), ...(r.held ? { held: r.held } : {}) };
    post({ t: "done", id: r.id, outcome, ...extra });
  };
  const kill = (r: Run, reason: string, message: string) =>
    finish(r, { kind: "killed", reason, message });

  // WebAssembly memories are not in V8's external memory count: the ones a guest can reach
  // (created or exported) are tracked and added; a module's unexported memory is left to the
  // host's resident memory cap.
  const wasm = g.WebAssembly;
  const NativeMemory = wasm.Memory;
  const NativeInstance = wasm.Instance;
  const NativeWeakRef = WeakRef;
  const deref = WeakRef.prototype.deref;
  const [hasKnown, addKnown] = [WeakSet.prototype.has, WeakSet.prototype.add];
  const [setEntry, deleteEntry, forEachEntry] = [
    Map.prototype.set,
    Map.prototype.delete,
    Map.prototype.forEach,
  ];
  const countOf = describe(Map.prototype, "size")!.get!;
  // Getters that check their receiver's internal slots: brand checks no prototype can fake.
  const bufferOf = describe(NativeMemory.prototype, "buffer")!.get!;
  const exportsOf = describe(NativeInstance.prototype, "exports")!.get!;
  const lengthOf = describe(ArrayBuffer.prototype, "byteLength")!.get!;
  const sharedLengthOf = describe(SharedArrayBuffer.prototype, "byteLength")!.get!;
  const then = Promise.prototype.then;
  const memories = new Map<number, WeakRef<WebAssembly.Memory>>();
  const known = new WeakSet<object>();
  let memoryCount = 0;
  const remember = (value: any) => {
    try {
      apply(bufferOf, value, []);
    } catch {
      return; // not a memory
    }
    if (apply(hasKnown, known, [value])) return;
    apply(addKnown, known, [value]);
    apply(setEntry, memories, [memoryCount++, new NativeWeakRef(value)]);
  };
  const rememberExports = (instance: any) => {
    let exports: Record<string, unknown>;
    try {
      exports = apply(exportsOf, instance, []);
    } catch {
      return; // not an instance
    }
    // A frozen null-prototype object of own data properties; an array walked by index.
    const values = valuesOf(exports);
    for (let i = 0; i < values.length; i++) remember(values[i]);
  };
  const bytesOf = (memory: WebAssembly.Memory): number => {
    const buffer = apply(bufferOf, memory, []);
    try {
      return apply(lengthOf, buffer, []);
    } catch {
      return apply(sharedLengthOf, buffer, []); // a shared memory's
    }
  };
  const wasmBytes = () => {
    let bytes = 0;
    apply(forEachEntry, memories, [(ref: WeakRef<WebAssembly.Memory>, key: number) => {
      const memory = apply(deref, ref, []);
      if (memory) bytes += bytesOf(memory);
      else apply(deleteEntry, memories, [key]);
    }]);
    return bytes;
  };
  // Plain functions sharing the native prototype (whose `constructor` now points at them), so
  // neither `instanceof` nor the prototype chain leads back to an untracked constructor.
  const tracked = (Native: any, after: (value: any) => void) => {
    const Wrapped = function (...args: unknown[]) {
      if (!new.target) throw new TypeError(`WebAssembly.${Native.name} must be called with new`);
      const value = construct(Native, args, new.target);
      after(value);
      return value;
    };
    Object.defineProperty(Wrapped, "name", { value: Native.name });
    Wrapped.prototype = Native.prototype;
    Object.defineProperty(Native.prototype, "constructor", { value: Wrapped, writable: false });
    return Wrapped;
  };
  wasm.Memory = tracked(NativeMemory, remember);
  wasm.Instance = tracked(NativeInstance, rememberExports);
  for (const name of ["instantiate", "instantiateStreaming"]) {
    const original = wasm[name];
    // An instance, or `{ module, instance }` (own data properties) when given bytes.
    const instanceOf = (result: any) => {
      try {
        apply(exportsOf, result, []);
        return result;
      } catch {
        return result?.instance;
      }
    };
    wasm[name] = function (...args: unknown[]) {
      return apply(then, apply(original, wasm, args), [(result: any) => {
        rememberExports(instanceOf(result));
        return result;
      }]);
    };
  }

  /** Heap, array buffers and wasm memories over the limit, after a full collection if any. */
  const overMemory = (r: Run): boolean => {
    let h = heapStatistics();
    r.held = h.used_heap_size + h.external_memory +
      (apply(countOf, memories, []) > 0 ? wasmBytes() : 0);
    if (r.held <= r.memoryBytes) return false;
    if (!collectGarbage) return true;
    collectGarbage();
    h = heapStatistics();
    r.held = h.used_heap_size + h.external_memory + wasmBytes();
    return r.held > r.memoryBytes;
  };
  const checkMemory = (r: Run): boolean => {
    if (!overMemory(r)) return false;
    kill(r, "memory", "its heap and array buffers exceeded the limit");
    return true;
  };
  // Checked every 25 ms whenever the guest yields to the event loop; a guest that never yields
  // meets the host's resident memory cap or its deadline instead. One timer for back-to-back
  // runs: it stops itself once it finds the worker idle.
  let watch: number | undefined;
  const watchMemory = () => {
    watch ??= native.setInterval(() => {
      if (run) return void checkMemory(run);
      native.clearInterval(watch);
      watch = undefined;
    }, 25);
  };

  /** Counts `size` against the log budget; past it the execution is killed for `output`. */
  const charge = (r: Run, size: number): boolean => {
    r.logBytes += size;
    if (r.logBytes <= r.maxOutputBytes) return true;
    kill(r, "output", "its logs exceeded the cap");
    return false;
  };
  const emit = (level: string, given: string, fields: unknown, source: string) => {
    const r = current();
    if (!r) return;
    const message = toText(given);
    let text: string | undefined;
    try {
      text = fields === undefined ? undefined : stringify(fields);
    } catch {
      text = stringify({ unserializable: String(fields) });
    }
    if (!charge(r, LOG_LINE_BYTES + message.length + (text?.length ?? 0))) return;
    if (text !== undefined && text.length > MAX_LOG_FIELDS) {
      text = stringify({ truncated: true, bytes: text.length });
    }
    post({ t: "log", id: r.id, level, message: clip(message), fields: text, source });
  };
  const format = (args: unknown[]) =>
    args.map((a) => typeof a === "string" ? a : inspect(a, { depth: 4 })).join(" ");
  const say = (level: string) => (...args: unknown[]) =>
    emit(level, format(args), undefined, "console");
  const label = (name: unknown) => name === undefined ? "default" : String(name);
  const clock = (end: boolean) => (name?: unknown, ...args: unknown[]) => {
    const r = current();
    const started = r?.clocks.get(label(name));
    if (!r || started === undefined) return;
    if (end) r.clocks.delete(label(name));
    const ms = (performance.now() - started).toFixed(3);
    emit("info", format([`${label(name)}: ${ms}ms`, ...args]), undefined, "console");
  };
  const noop = () => {};
  const kilnConsole: Record<string, unknown> = {
    log: say("info"),
    info: say("info"),
    debug: say("debug"),
    trace: say("debug"),
    warn: say("warn"),
    error: say("error"),
    dir: (value: unknown) => say("info")(value),
    dirxml: say("info"),
    table: (data: unknown) => say("info")(data),
    group: say("info"),
    groupCollapsed: say("info"),
    groupEnd: noop,
    assert: (ok: unknown, ...args: unknown[]) =>
      ok ? undefined : say("error")("Assertion failed:", ...args),
    count: (name?: unknown) => {
      const r = current();
      if (!r) return;
      const n = (r.counts.get(label(name)) ?? 0) + 1;
      r.counts.set(label(name), n);
      say("info")(`${label(name)}: ${n}`);
    },
    countReset: (name?: unknown) => void current()?.counts.delete(label(name)),
    time: (name?: unknown) => void current()?.clocks.set(label(name), performance.now()),
    timeLog: clock(false),
    timeEnd: clock(true),
    clear: noop,
    profile: noop,
    profileEnd: noop,
    timeStamp: noop,
  };
  kilnConsole.context = () => kilnConsole;
  g.console = kilnConsole;

  // `process.stdout.write` and friends land in the same budget; whatever still reaches fd 1 or
  // 2 (e.g. `node:fs` writeSync) is stray output Kiln budgets per host on its side.
  const proc = (await import("node:process")).default as any;
  for (const [name, level] of [["stdout", "info"], ["stderr", "error"]]) {
    const stream = proc[name];
    const write = (chunk: unknown, ...rest: unknown[]) => {
      const done = rest.find((a) => typeof a === "function") as (() => void) | undefined;
      const r = current();
      let text: string;
      let size: number;
      try {
        size = apply(byteLengthOf, chunk, []);
        const head = apply(subarray, chunk, [0, MAX_LOG_MESSAGE + 1]);
        text = apply(decode, decoder, [head]);
      } catch { // not a typed array
        text = toText(chunk);
        size = text.length;
      }
      if (r && charge(r, LOG_LINE_BYTES + size)) {
        const line = text.length > 0 && text[text.length - 1] === "\n"
          ? apply(sliceOf, text, [0, -1])
          : text;
        post({ t: "log", id: r.id, level, message: clip(line), source: "console" });
      }
      if (done) queueMicrotask(done);
      return true;
    };
    stream.write = write;
    stream._write = (
      chunk: unknown,
      _encoding: unknown,
      done: () => void,
    ) => (write(chunk), done());
  }

  const track = (start: any, repeat: boolean) => (fn: unknown, ms?: number, ...args: unknown[]) => {
    const r = current();
    if (!r || typeof fn !== "function") return 0;
    const handle: number = start(() => {
      if (!repeat) r.timers.delete(handle);
      if (run === r) fn(...args);
    }, ms);
    r.timers.add(handle);
    return handle;
  };
  const setTimer = track(native.setTimeout, false);
  g.setTimeout = setTimer;
  g.setInterval = track(native.setInterval, true);
  g.clearTimeout = (h: number) => (run?.timers.delete(h), native.clearTimeout(h));
  g.clearInterval = (h: number) => (run?.timers.delete(h), native.clearInterval(h));
  const AbortCtl = AbortController;
  Object.defineProperty(AbortSignal, "timeout", {
    value: function timeout(ms: number) {
      if (typeof ms !== "number" || !(ms >= 0) || ms > Number.MAX_SAFE_INTEGER) {
        throw new TypeError(`AbortSignal.timeout: ${ms} is not a valid number of milliseconds`);
      }
      const controller = new AbortCtl();
      const reason = () => new DOMException("Signal timed out.", "TimeoutError");
      setTimer(() => controller.abort(reason()), ms);
      return controller.signal;
    },
    writable: true,
    configurable: true,
  });

  const call = (tool: unknown, params: unknown) => {
    const r = current();
    if (!r) {
      const why = "mcp.call from work left over from an ended execution is refused";
      return Promise.reject(codeError("FORBIDDEN", why));
    }
    if (r.calls.size >= MAX_CALLS_IN_FLIGHT) {
      const why = `more than ${MAX_CALLS_IN_FLIGHT} MCP calls are in flight`;
      return Promise.reject(codeError("OVERLOADED", why));
    }
    let body: string | undefined;
    try {
      body = params === undefined ? undefined : stringify(params);
    } catch (err) {
      return Promise.reject(err);
    }
    if (body !== undefined && body.length > r.maxOutputBytes) {
      const why = `mcp.call parameters of ${body.length} bytes exceed ${r.maxOutputBytes}`;
      return Promise.reject(codeError("LIMIT_EXCEEDED", why));
    }
    if (checkMemory(r)) return Promise.reject(new Error("the execution has ended"));
    const callId = r.nextCall++;
    return new Promise((resolve, reject) => {
      r.calls.set(callId, { resolve, reject });
      post({ t: "call", id: r.id, callId, tool: toText(tool), params: body });
    });
  };
  const logAt = (level: string) => (message: unknown, fields?: unknown) =>
    emit(level, String(message), fields, "sdk");
  const sdk = Object.freeze({
    mcp: Object.freeze({ call }),
    log: Object.freeze({
      debug: logAt("debug"),
      info: logAt("info"),
      warn: logAt("warn"),
      error: logAt("error"),
    }),
  });
  Object.defineProperty(g, "__kiln", { value: sdk, writable: false, configurable: false });

  const refuse = (name: string) => () => {
    throw new Error(`${name} is not available in a Kiln isolate`);
  };
  const lock = (target: any, name: string, what: string) => {
    try {
      Object.defineProperty(target, name, {
        value: refuse(what),
        writable: false,
        configurable: false,
      });
    } catch { /* already locked */ }
  };
  for (const name of ["kill", "exit", "abort", "reallyExit", "dlopen", "chdir"]) {
    lock(proc, name, `process.${name}`);
  }
  // Channels shared by every worker of the process (so across components): `node:worker_threads`
  // still exports BroadcastChannel, so its prototype is disarmed as well as the global removed.
  if (g.BroadcastChannel) lock(g.BroadcastChannel.prototype, "postMessage", "BroadcastChannel");
  const locks = g.navigator?.locks;
  if (locks) {
    for (const name of ["request", "query"]) {
      lock(Object.getPrototypeOf(locks), name, "navigator.locks");
    }
  }
  const caches = g.caches;
  if (caches) {
    for (const name of ["open", "has", "delete", "match", "keys"]) {
      lock(Object.getPrototypeOf(caches), name, "caches");
    }
  }
  for (
    const name of [
      "Deno",
      "process",
      "Worker",
      "require",
      "Buffer",
      "global",
      "setImmediate",
      "BroadcastChannel",
      "caches",
      "gc",
    ]
  ) {
    try {
      delete g[name];
    } catch { /* not configurable */ }
  }
  scope.addEventListener("unhandledrejection", (event: any) => {
    event.preventDefault();
    const r = apply(getStore, context, []) as Run | undefined;
    if (!r || r !== run) return;
    emit("error", `unhandled rejection: ${format([event.reason])}`, undefined, "console");
  });

  const modules = new Map<string, Record<string, unknown>>();
  const execute = (spec: any) => {
    const r: Run = {
      id: spec.id,
      timers: new Set(),
      calls: new Map(),
      nextCall: 0,
      logBytes: 0,
      maxOutputBytes: spec.maxOutputBytes,
      memoryBytes: spec.memoryMb * 1048576,
      counts: new Map(),
      clocks: new Map(),
      ended: false,
      held: 0,
    };
    run = r;
    watchMemory();
    return apply(runIn, context, [r, async () => {
      try {
        let ns = modules.get(spec.hash);
        if (!ns) {
          ns = await import(`data:text/javascript,${encodeURIComponent(spec.source)}`);
          modules.set(spec.hash, ns!);
        }
        const fn = ns![spec.entry];
        if (typeof fn !== "function") throw new Error(`the bundle has no function ${spec.entry}`);
        const [requestData, ctx] = parse(spec.input);
        const value = await fn(requestData, ctx);
        if (r.ended) return;
        const json = stringify(value === undefined ? null : value) ?? "null";
        if (json.length > spec.maxOutputBytes) {
          const message = `a ${json.length}-byte result exceeded the cap`;
          return kill(r, "output", message);
        }
        if (checkMemory(r)) return;
        finish(r, { kind: "ok", json });
      } catch (err: any) {
        if (r.ended) return;
        if (checkMemory(r)) return;
        const code = typeof err?.code === "string" ? err.code : "APPLICATION_ERROR";
        finish(r, { kind: "error", code, message: String(err?.message ?? err).slice(0, 4096) });
      }
    }]);
  };
  const stopListeners = Event.prototype.stopImmediatePropagation;
  const onMessage = (event: MessageEvent) => {
    // Guest listeners on `self` never see the frames of later executions.
    apply(stopListeners, event, []);
    const m = event.data; // an own data property of the event
    if (m.t === "run") return void execute(m);
    // The host is about to end this worker: answering shows its thread is not stuck in a loop.
    if (m.t === "ping") return post({ t: "pong" });
    const r = run;
    const pending = r && r.id === m.id ? r.calls.get(m.callId) : undefined;
    if (!r || !pending) return;
    r.calls.delete(m.callId);
    const reply = parse(m.reply);
    if (reply.ok) return pending.resolve(reply.value);
    pending.reject(codeError(reply.code, reply.message));
  };
  scope.addEventListener("message", onMessage);
  for (const name of ["postMessage", "close"]) {
    Object.defineProperty(scope, name, { value: refuse(`self.${name}`), writable: false });
  }
  post({ t: "ready" });
}
