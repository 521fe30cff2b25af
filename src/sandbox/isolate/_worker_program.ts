/**
 * The bootstrap every isolate worker runs before any guest code: it installs the sandbox SDK
 * (`globalThis.__kiln`), captures `console`, tracks the timers an execution starts so none outlive
 * it, and takes away what a guest could use to reach or stop its host (`Deno`, `process.kill`,
 * nested workers, the message port). The host process already has no permissions; this closes
 * what needs none. The function is shipped as source (`workerSource()`), so it must not use
 * anything from its module scope.
 */

// deno-lint-ignore-file no-explicit-any
export async function workerMain(): Promise<void> {
  const g = globalThis as any;
  const scope = self as any;
  const post = scope.postMessage.bind(scope) as (message: unknown) => void;
  const inspect = g.Deno.inspect as (v: unknown, o?: unknown) => string;
  const timers = {
    setTimeout: g.setTimeout,
    clearTimeout: g.clearTimeout,
    setInterval: g.setInterval,
    clearInterval: g.clearInterval,
  };
  interface Run {
    id: number;
    timers: Set<number>;
    calls: Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>;
    nextCall: number;
    logBytes: number;
    maxOutputBytes: number;
    overflow: boolean;
  }
  let run: Run | null = null;
  const modules = new Map<string, Record<string, unknown>>();

  const emit = (level: string, message: string, fields: unknown, source: string) => {
    const r = run;
    if (!r || r.overflow) return;
    let text: string | undefined;
    try {
      text = fields === undefined ? undefined : JSON.stringify(fields);
    } catch {
      text = JSON.stringify({ unserializable: String(fields) });
    }
    r.logBytes += message.length + (text?.length ?? 0);
    if (r.logBytes > r.maxOutputBytes) {
      r.overflow = true;
      return;
    }
    post({ t: "log", id: r.id, level, message, fields: text, source });
  };
  const format = (args: unknown[]) =>
    args.map((a) => typeof a === "string" ? a : inspect(a, { depth: 4 })).join(" ");
  const consoleLevels: Record<string, string> = {
    log: "info",
    info: "info",
    debug: "debug",
    trace: "debug",
    warn: "warn",
    error: "error",
  };
  for (const [method, level] of Object.entries(consoleLevels)) {
    g.console[method] = (...args: unknown[]) => emit(level, format(args), undefined, "console");
  }

  const track = (start: any) => (fn: unknown, ms?: number, ...args: unknown[]) => {
    const r = run;
    if (!r || typeof fn !== "function") return 0;
    const handle: number = start(() => {
      if (start === timers.setTimeout) r.timers.delete(handle);
      if (run === r) fn(...args);
    }, ms);
    r.timers.add(handle);
    return handle;
  };
  g.setTimeout = track(timers.setTimeout);
  g.setInterval = track(timers.setInterval);
  g.clearTimeout = (h: number) => (run?.timers.delete(h), timers.clearTimeout(h));
  g.clearInterval = (h: number) => (run?.timers.delete(h), timers.clearInterval(h));

  const call = (tool: unknown, params: unknown) => {
    const r = run;
    if (!r) return Promise.reject(new Error("mcp.call outside an execution"));
    const callId = r.nextCall++;
    return new Promise((resolve, reject) => {
      r.calls.set(callId, { resolve, reject });
      const body = params === undefined ? undefined : JSON.stringify(params);
      post({ t: "call", id: r.id, callId, tool: String(tool), params: body });
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
  const proc = (await import("node:process")).default as any;
  for (const name of ["kill", "exit", "abort", "reallyExit", "dlopen", "chdir"]) {
    try {
      Object.defineProperty(proc, name, { value: refuse(`process.${name}`), configurable: false });
    } catch { /* already locked */ }
  }
  for (const name of ["Deno", "process", "Worker", "require", "Buffer", "global", "setImmediate"]) {
    try {
      delete g[name];
    } catch { /* not configurable */ }
  }
  scope.addEventListener("unhandledrejection", (event: any) => {
    event.preventDefault();
    emit("error", `unhandled rejection: ${format([event.reason])}`, undefined, "console");
  });

  const finish = (r: Run, outcome: unknown) => {
    for (const h of r.timers) (timers.clearTimeout(h), timers.clearInterval(h));
    for (const pending of r.calls.values()) pending.reject(new Error("the execution has ended"));
    if (run === r) run = null;
    post({ t: "done", id: r.id, outcome });
  };
  const execute = async (spec: any) => {
    const r: Run = {
      id: spec.id,
      timers: new Set(),
      calls: new Map(),
      nextCall: 0,
      logBytes: 0,
      maxOutputBytes: spec.maxOutputBytes,
      overflow: false,
    };
    run = r;
    try {
      let ns = modules.get(spec.hash);
      if (!ns) {
        ns = await import(`data:text/javascript,${encodeURIComponent(spec.source)}`);
        modules.set(spec.hash, ns!);
      }
      const fn = ns![spec.entry];
      if (typeof fn !== "function") throw new Error(`the bundle has no function ${spec.entry}`);
      const [requestData, context] = JSON.parse(spec.input);
      const value = await fn(requestData, context);
      const json = JSON.stringify(value === undefined ? null : value) ?? "null";
      if (r.overflow || json.length > spec.maxOutputBytes) {
        const what = r.overflow ? "its logs" : `a ${json.length}-byte result`;
        return finish(r, { kind: "killed", reason: "output", message: `${what} exceeded the cap` });
      }
      finish(r, { kind: "ok", json });
    } catch (err: any) {
      const code = typeof err?.code === "string" ? err.code : "APPLICATION_ERROR";
      finish(r, { kind: "error", code, message: String(err?.message ?? err).slice(0, 4096) });
    }
  };
  const onMessage = (event: MessageEvent) => {
    const m = event.data;
    if (m.t === "run") return void execute(m);
    const r = run;
    const pending = r && r.id === m.id ? r.calls.get(m.callId) : undefined;
    if (!r || !pending) return;
    r.calls.delete(m.callId);
    const reply = JSON.parse(m.reply);
    if (reply.ok) return pending.resolve(reply.value);
    pending.reject(Object.assign(new Error(reply.message), { code: reply.code }));
  };
  scope.addEventListener("message", onMessage);
  for (const name of ["postMessage", "close"]) {
    Object.defineProperty(scope, name, { value: refuse(`self.${name}`), writable: false });
  }
  post({ t: "ready" });
}
