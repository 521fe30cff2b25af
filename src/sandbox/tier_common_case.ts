/**
 * The conformance suite every `TierDriver` passes (Hono's common.case.test.ts pattern): the same
 * `/execute` behaviours and the same escape battery, run against each tier by its own test file.
 * Guest code is written once as a function body and wrapped in the bundle format the tier accepts.
 */
import assert from "node:assert/strict";
import { KilnError, LIMITS, valueDepth } from "../core/mod.ts";
import type { ExecuteRequest, ExecuteResponse } from "../models/mod.ts";
import {
  DEFAULT_LIMITS,
  type ExecutionCode,
  type ExecutionHost,
  type ExecutionLimits,
  MAX_CALLS_IN_FLIGHT,
  type TierDriver,
} from "./tier.ts";

/** Builds a fresh driver; `cleanup` closes it. */
export type TierFactory = () => Promise<TierDriver>;

/** A guest function body `async (requestData, context) => { <body> }` as a bundle for `format`. */
export function guestCode(body: string, format: "esm" | "iife"): ExecutionCode {
  const fn = `async function handler(requestData, context) {\n${body}\n}`;
  const source = format === "esm"
    ? `const { mcp, log } = globalThis.__kiln;\nexport ${fn}`
    : `(() => { const { mcp, log } = globalThis.__kiln;\n${fn}\n` +
      `globalThis.__kilnModule = { handler }; })();`;
  return { kind: "javascript", format, source, entry: "handler", hash: hashOf(source) };
}

function hashOf(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return `t${(h >>> 0).toString(16)}${text.length}`;
}

/** An execution host that records what the guest did; tools answer from a small real table. */
export class RecordingHost implements ExecutionHost {
  readonly calls: { tool: string; params: unknown }[] = [];
  readonly logs: { level: string; message: string; source?: string }[] = [];
  callTool(tool: string, params: unknown): Promise<unknown> {
    this.calls.push({ tool, params });
    if (tool === "core.state.getRuntimeValue") {
      return Promise.resolve({ found: true, value: (params as { key: string }).key.length });
    }
    return Promise.reject(new KilnError("FORBIDDEN", `this token may not call "${tool}"`));
  }
  log(level: string, message: string, _fields?: unknown, source?: string): void {
    this.logs.push({ level, message, source });
  }
}

/** A host whose tool `slow` answers after 300 ms, counting the calls it holds at once. */
export class SlowHost extends RecordingHost {
  now = 0;
  most = 0;
  override callTool(tool: string, params: unknown): Promise<unknown> {
    if (tool !== "slow") return super.callTool(tool, params);
    this.calls.push({ tool, params });
    this.most = Math.max(this.most, ++this.now);
    return new Promise((r) => setTimeout(() => r((this.now--, { slow: true })), 300));
  }
}

/** A minimal valid `/execute` request for component `componentId` of app `appId`. */
export function executeRequest(appId = "conf", input?: unknown, componentId = "c"): ExecuteRequest {
  return {
    requestId: crypto.randomUUID(),
    requestData: { source: "internal", input },
    context: {
      appId,
      componentId,
      mcp_endpoint: "http://127.0.0.1/mcp",
      mcp_token: `kiln_exec_test_${crypto.randomUUID()}`,
      deadline: new Date(Date.now() + 60_000).toISOString(),
      configuration: { greeting: "hi" },
      applicationInfo: { appId, displayName: appId, version: "1", revision: "0".repeat(40) },
    },
    taskDetails: {},
  };
}

/** Registers the shared tier tests under `name` for a tier running `format` bundles. */
export function runTierConformance(
  name: string,
  format: "esm" | "iife",
  factory: TierFactory,
  opts: { ignore?: boolean } = {},
): void {
  const test = (title: string, body: (tier: TierDriver) => Promise<void>) =>
    Deno.test({
      name: `${name}: ${title}`,
      ignore: opts.ignore ?? false,
      sanitizeResources: false,
      sanitizeOps: false,
      fn: async () => {
        const tier = await factory();
        try {
          await body(tier);
        } finally {
          await tier.close();
        }
      },
    });
  const run = (
    tier: TierDriver,
    body: string,
    o: {
      host?: RecordingHost;
      limits?: Partial<ExecutionLimits>;
      app?: string;
      component?: string;
      input?: unknown;
    } = {},
  ): Promise<ExecuteResponse> =>
    tier.execute({
      request: executeRequest(o.app, o.input, o.component),
      code: guestCode(body, format),
      limits: { ...DEFAULT_LIMITS, timeoutMs: 3_000, memoryMb: 64, ...o.limits },
      host: o.host ?? new RecordingHost(),
    });
  const killed = (...reasons: string[]) => (err: unknown) => {
    assert.ok(err instanceof KilnError, `expected a KilnError, got ${err}`);
    assert.ok(["SANDBOX_KILLED", "EXECUTION_TIMEOUT"].includes(err.code), err.code);
    const reason = (err.details as { reason?: string }).reason ?? "";
    assert.ok(reasons.includes(reason), `${reason} is not ${reasons.join(" or ")}: ${err.message}`);
    return true;
  };
  /** Runs a probe that returns true when the escape worked; contained means false or an error. */
  const contained = async (tier: TierDriver, probe: string) => {
    const res = await run(
      tier,
      `try { return await (async () => { ${probe} })(); } ` +
        `catch (e) { return { blocked: String(e && e.message || e).slice(0, 200) }; }`,
    );
    assert.notEqual(res.data, true, `escape succeeded: ${probe}`);
    return res;
  };

  test("returns the handler's result as a generic response with metrics", async (tier) => {
    const res = await run(tier, `return { echo: requestData.input, app: context.appId };`, {
      input: { n: 1 },
    });
    assert.equal(res.resultType, "generic");
    assert.deepEqual(res.data, { echo: { n: 1 }, app: "conf" });
    assert.ok(res.metrics.execution_time_ms >= 0);
  });

  test("a thrown error becomes resultType error with its code", async (tier) => {
    const res = await run(
      tier,
      `const e = new Error("no such order"); e.code = "ORDER_MISSING"; throw e;`,
    );
    assert.equal(res.resultType, "error");
    assert.deepEqual(res.data, { code: "ORDER_MISSING", message: "no such order" });
  });

  test("mcp.call reaches the host; tool errors reject inside the guest with their code", async (tier) => {
    const host = new RecordingHost();
    const res = await run(
      tier,
      `const got = await mcp.call("core.state.getRuntimeValue", { key: "abc" });
       let denied = null;
       try { await mcp.call("core.state.setRuntimeValue", { key: "x", value: 1 }); }
       catch (e) { denied = e.code; }
       log.info("done", { n: 1 });
       console.log("from console", 42);
       return { got, denied };`,
      { host },
    );
    assert.deepEqual(res.data, { got: { found: true, value: 3 }, denied: "FORBIDDEN" });
    assert.deepEqual(host.calls.map((c) => c.tool), [
      "core.state.getRuntimeValue",
      "core.state.setRuntimeValue",
    ]);
    assert.ok(host.logs.some((l) => l.message === "done" && l.level === "info"));
    assert.ok(host.logs.some((l) => l.source === "console" && /from console 42/.test(l.message)));
  });

  test("a guest has at most MAX_CALLS_IN_FLIGHT MCP calls in flight; more are OVERLOADED", async (tier) => {
    const host = new SlowHost();
    const res = await run(
      tier,
      `const results = await Promise.allSettled(
        Array.from({ length: 100 }, () => mcp.call("slow", {})),
      );
      return results.map((r) => r.status === "fulfilled" ? "ok" : r.reason?.code);`,
      { host, limits: { timeoutMs: 10_000 } },
    );
    const answers = res.data as string[];
    const ok = answers.filter((a) => a === "ok").length;
    const overloaded = answers.filter((a) => a === "OVERLOADED").length;
    assert.ok(host.most > 0 && host.most <= MAX_CALLS_IN_FLIGHT, `${host.most} calls at once`);
    assert.equal(ok + overloaded, 100, JSON.stringify(answers));
    assert.ok(overloaded > 0, "none was refused");
  });

  test("escape: no file system, network, env, subprocess or FFI", async (tier) => {
    for (
      const probe of [
        `await Deno.readTextFile("/etc/passwd"); return true;`,
        `Deno.readTextFileSync("/etc/hostname"); return true;`,
        `await Deno.writeTextFile("/tmp/kiln-escape", "x"); return true;`,
        `await fetch("http://127.0.0.1:1/"); return true;`,
        `await Deno.connect({ hostname: "127.0.0.1", port: 1 }); return true;`,
        `return typeof Deno.env.get("PATH") === "string";`,
        `await new Deno.Command("/bin/true").output(); return true;`,
        `Deno.dlopen("libc.so.6", {}); return true;`,
      ]
    ) await contained(tier, probe);
  });

  test("escape: no dynamic import of local or remote modules", async (tier) => {
    for (
      const probe of [
        `await import("file:///etc/passwd"); return true;`,
        `await import("https://deno.land/x/mod.ts"); return true;`,
        `await import("npm:zod"); return true;`,
      ]
    ) await contained(tier, probe);
  });

  test("escape: Node built-ins give no capability", async (tier) => {
    for (
      const probe of [
        `const fs = await import("node:fs"); fs.readFileSync("/etc/passwd"); return true;`,
        `const fs = await import("node:fs"); fs.writeFileSync("/tmp/kiln-escape", "x"); return true;`,
        `const cp = await import("node:child_process"); cp.execFileSync("/bin/true"); return true;`,
        `const os = await import("node:os"); return os.hostname().length > 0;`,
        `const net = await import("node:net"); await new Promise((ok, no) => ` +
        `net.connect(1, "127.0.0.1").on("connect", ok).on("error", no)); return true;`,
      ]
    ) await contained(tier, probe);
  });

  test("escape: guest code cannot signal, stop or exit its sandbox host", async (tier) => {
    for (
      const probe of [
        `const p = (await import("node:process")).default; p.kill(p.pid, "SIGKILL"); return true;`,
        `const p = (await import("node:process")).default; p.exit(3); return true;`,
        `Deno.kill(Deno.pid, "SIGKILL"); return true;`,
        `Deno.exit(3); return true;`,
        `self.close(); return "close() returned";`,
        `new Worker("data:text/javascript,Deno.kill(Deno.pid,'SIGKILL')", { type: "module" });
         await new Promise((r) => setTimeout(r, 300)); return "spawned";`,
        `const { Worker: W } = await import("node:worker_threads");
         new W("process.kill(process.pid, 'SIGKILL')", { eval: true });
         await new Promise((r) => setTimeout(r, 300)); return "spawned";`,
      ]
    ) {
      // A tier whose sandbox is a process of its own may let the guest end it: that is a
      // contained crash, reported as such, as long as the tier serves the next execution. A
      // thread the guest starts costs memory, so under load the memory watch may end it first.
      await contained(tier, probe).catch((err) => killed("crash", "memory")(err));
    }
    assert.deepEqual((await run(tier, `return "alive";`)).data, "alive");
  });

  test("escape: prototype pollution never reaches the host or another app", async (tier) => {
    await run(tier, `Object.prototype.polluted = "yes"; Array.prototype.push = () => 0; return 1;`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, "the host is polluted");
    const other = await run(tier, `return { polluted: ({}).polluted ?? null };`, { app: "other" });
    assert.deepEqual(other.data, { polluted: null }, "another app sees the pollution");
    const same = await run(tier, `return { polluted: ({}).polluted ?? null };`);
    const expected = tier.reuse === "component" ? "yes" : null;
    assert.deepEqual(same.data, { polluted: expected }, `reuse ${tier.reuse} is not what it says`);
  });

  test("an infinite loop is killed at the deadline and the tier keeps serving", async (tier) => {
    await assert.rejects(
      run(tier, `for (;;) {}`, { limits: { timeoutMs: 300 } }),
      killed("timeout"),
    );
    assert.deepEqual((await run(tier, `return "alive";`)).data, "alive");
  });

  test("a memory bomb is killed for memory and the tier keeps serving", async (tier) => {
    await assert.rejects(
      run(tier, `const keep = []; for (;;) keep.push(new Array(1e6).fill(Math.random()));`, {
        limits: { timeoutMs: 20_000 },
      }),
      killed("memory"),
    );
    assert.deepEqual((await run(tier, `return "alive";`)).data, "alive");
  });

  test("huge output is refused with reason output", async (tier) => {
    await assert.rejects(
      run(tier, `return "x".repeat(2 << 20);`, { limits: { maxOutputBytes: 1 << 20 } }),
      killed("output"),
    );
    assert.deepEqual((await run(tier, `return "alive";`)).data, "alive");
  });

  test("deep recursion is contained", async (tier) => {
    const outcome = await run(tier, `const f = (n) => f(n + 1) + 1; return f(0);`).then(
      (res) => res.resultType,
      (err) => (killed("stack")(err), "killed"),
    );
    assert.ok(["error", "killed"].includes(outcome), outcome);
    assert.deepEqual((await run(tier, `return "alive";`)).data, "alive");
  });

  test("unhandled rejections and timers left running do not leak into later executions", async (tier) => {
    const first = await run(
      tier,
      `Promise.reject(new Error("nobody listens"));
       if (typeof setInterval === "function") setInterval(() => { globalThis.leak = (globalThis.leak ?? 0) + 1; }, 1);
       return "first";`,
    );
    assert.equal(first.resultType === "generic" || first.resultType === "error", true);
    const later = await run(tier, `return { leak: globalThis.leak ?? null };`);
    assert.deepEqual(later.data, { leak: null });
  });

  test("Deno globals and host objects are not reachable", async (tier) => {
    const res = await run(
      tier,
      `return { deno: typeof Deno === "undefined" ? "none" : Object.keys(Deno.permissions ?? {}).length >= 0 && "present",
               proc: typeof process, req: typeof require };`,
    );
    const data = res.data as { deno: string; proc: string; req: string };
    assert.equal(data.req, "undefined");
    if (data.deno === "present") {
      await contained(
        tier,
        `return (await Deno.permissions.query({ name: "read" })).state === "granted";`,
      );
    }
  });

  test("a stdout or stderr flood is killed for output and the tier keeps serving", async (tier) => {
    const flood = `const chunk = "x".repeat(1 << 16);
      let proc = null;
      try { proc = (await import(["node", "process"].join(":"))).default; } catch { /* none */ }
      for (let i = 0; i < 512; i++) {
        if (proc) { proc.stdout.write(chunk); proc.stderr.write(chunk); } else console.log(chunk);
      }
      return "flooded";`;
    await assert.rejects(
      run(tier, flood, { limits: { maxOutputBytes: 1 << 20, timeoutMs: 10_000 } }),
      killed("output"),
    );
    const host = new RecordingHost();
    const printed = await run(
      tier,
      `try { const p = (await import(["node", "process"].join(":"))).default;
        p.stdout.write("plain print\\n"); } catch { console.log("plain print"); }
      return "printed";`,
      { host },
    );
    assert.equal(printed.data, "printed", "an ordinary print still works");
    assert.ok(host.logs.some((l) => l.message === "plain print"), JSON.stringify(host.logs));
    assert.deepEqual((await run(tier, `return "alive";`)).data, "alive");
  });

  test("every log line counts against the output budget, empty ones too", async (tier) => {
    const host = new RecordingHost();
    await assert.rejects(
      run(tier, `for (let i = 0; i < 100_000; i++) console.log(""); return 1;`, {
        host,
        limits: { maxOutputBytes: 64 * 1024, timeoutMs: 10_000 },
      }),
      killed("output"),
    );
    assert.ok(host.logs.length < 300, `${host.logs.length} lines reached the host`);
  });

  test("output written straight to file descriptors is bounded and the tier keeps serving", async (tier) => {
    const started = performance.now();
    const outcome = await run(
      tier,
      `let fs = null;
      try { fs = await import(["node", "fs"].join(":")); } catch { return "no descriptors"; }
      const chunk = "y".repeat(1 << 16);
      for (let i = 0; i < 256; i++) { fs.writeSync(1, chunk); fs.writeSync(2, chunk); }
      return "wrote";`,
      { limits: { maxOutputBytes: 1 << 20, timeoutMs: 10_000 } },
    ).then((res) => String(res.data), (err) => (killed("output")(err), "killed"));
    assert.ok(["no descriptors", "wrote", "killed"].includes(outcome), outcome);
    assert.ok(performance.now() - started < 8_000, "the flood held the tier up");
    assert.deepEqual((await run(tier, `return "alive";`)).data, "alive");
  });

  test("array buffers and WebAssembly memories count against memoryMb", async (tier) => {
    const limits = { memoryMb: 64, timeoutMs: 20_000 };
    // Held past the end of the run: a heap limit alone would let this one answer.
    await assert.rejects(
      run(
        tier,
        `globalThis.keep = [];
        for (let i = 0; i < 40; i++) globalThis.keep.push(new Uint8Array(4 << 20).fill(1));
        return globalThis.keep.length;`,
        { limits },
      ),
      killed("memory"),
    );
    // A loop that never yields to the sandbox's own checks.
    await assert.rejects(
      run(tier, `const keep = []; for (;;) keep.push(new Uint8Array(1 << 20).fill(1));`, {
        limits,
      }),
      killed("memory"),
    );
    await assert.rejects(
      run(
        tier,
        `if (typeof WebAssembly !== "object") {
          globalThis.keep = [];
          for (let i = 0; i < 40; i++) globalThis.keep.push(new ArrayBuffer(4 << 20));
          return "array buffers";
        }
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 16384 });
        for (let i = 0; i < 40; i++) {
          const at = memory.buffer.byteLength;
          memory.grow(64);
          new Uint8Array(memory.buffer, at).fill(1);
        }
        globalThis.keepWasm = memory;
        return memory.buffer.byteLength;`,
        { limits },
      ),
      killed("memory"),
    );
    assert.deepEqual((await run(tier, `return "alive";`)).data, "alive");
  });

  test("a callback left over from an ended execution cannot act as a later one", async (tier) => {
    const arm = `const hit = (via) => () => {
        mcp.call("core.state.getRuntimeValue", { key: "stale " + via }).catch(() => {});
        log.info("stale " + via);
      };
      if (typeof AbortSignal === "function" && AbortSignal.timeout) {
        AbortSignal.timeout(200).addEventListener("abort", hit("AbortSignal.timeout"));
      }
      if (typeof setTimeout === "function") setTimeout(hit("setTimeout"), 200);
      if (typeof queueMicrotask === "function") {
        let n = 0;
        const spin = () => (++n < 20000 ? queueMicrotask(spin) : hit("queueMicrotask")());
        queueMicrotask(spin);
      }
      let timers = null, proc = null;
      try { timers = await import(["node", "timers"].join(":")); } catch { /* none */ }
      try { proc = (await import(["node", "process"].join(":"))).default; } catch { /* none */ }
      if (timers) {
        timers.setTimeout(hit("node:timers setTimeout"), 200);
        timers.setInterval(hit("node:timers setInterval"), 200);
        try {
          const later = await import(["node", "timers/promises"].join(":"));
          later.setTimeout(200).then(hit("node:timers/promises"));
        } catch { /* none */ }
        timers.setTimeout(() => timers.setImmediate(hit("setImmediate")), 200);
        timers.setTimeout(() => proc && proc.nextTick(hit("process.nextTick")), 200);
        const target = new EventTarget();
        target.addEventListener("ping", hit("EventTarget"));
        timers.setTimeout(() => target.dispatchEvent(new Event("ping")), 200);
        if (typeof MessageChannel === "function") {
          const channel = new MessageChannel();
          channel.port1.onmessage = hit("MessageChannel");
          timers.setTimeout(() => channel.port2.postMessage(1), 200);
        }
      }
      return "armed";`;
    assert.equal((await run(tier, arm)).data, "armed");
    const later = new RecordingHost();
    const wait =
      `if (typeof setTimeout === "function") await new Promise((r) => setTimeout(r, 600));
      else { const until = Date.now() + 600; while (Date.now() < until) { /* no timers here */ } }
      await mcp.call("core.state.getRuntimeValue", { key: "mine" });
      return "waited";`;
    assert.equal((await run(tier, wait, { host: later })).data, "waited");
    const acted = [
      ...later.calls.map((c) => (c.params as { key: string }).key),
      ...later.logs.map((l) => l.message),
    ].filter((text) => text.startsWith("stale"));
    assert.deepEqual(acted, [], "left-over callbacks acted as the later execution");
    assert.deepEqual(later.calls.map((c) => c.params), [{ key: "mine" }]);
    assert.deepEqual((await run(tier, `return "alive";`)).data, "alive");
  });

  test("components of one app never share mutable globals", async (tier) => {
    const tamper = `const parse = JSON.parse;
      JSON.parse = (text, reviver) => {
        (globalThis.stolen ??= []).push(String(text).slice(0, 100));
        return parse(text, reviver);
      };
      Object.prototype.tampered = "yes";
      globalThis.shared = "from a";
      return "tampered";`;
    assert.equal((await run(tier, tamper, { component: "a" })).data, "tampered");
    const probe = `const seen = {
        stolen: globalThis.stolen ?? null,
        shared: globalThis.shared ?? null,
        tampered: ({}).tampered ?? null,
      };
      JSON.parse('{"secret":"s3cr3t"}');
      return seen;`;
    // Several at once, so a tier with more than one warm sandbox has to use them.
    const seen = await Promise.all([1, 2, 3].map(() => run(tier, probe, { component: "b" })));
    for (const res of seen) {
      assert.deepEqual(res.data, { stolen: null, shared: null, tampered: null });
    }
    const again = await run(tier, probe, { component: "a" });
    const data = again.data as { shared: string | null; stolen: string[] | null };
    if (tier.reuse === "component") {
      assert.equal(data.shared, "from a", "a warm component keeps its own globals");
      assert.ok(!JSON.stringify(data.stolen).includes("s3cr3t"), "b's parse reached a's hook");
    } else assert.equal(data.shared, null);
  });

  test("escape: no channel between sandboxes (BroadcastChannel, locks, caches)", async (tier) => {
    const listen = `const sleep = (ms) => typeof setTimeout === "function"
        ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
      const heard = [];
      const channels = [];
      if (typeof BroadcastChannel === "function") channels.push(new BroadcastChannel("kiln"));
      try {
        const wt = await import(["node", "worker_threads"].join(":"));
        if (wt.BroadcastChannel) channels.push(new wt.BroadcastChannel("kiln"));
      } catch { /* none */ }
      for (const c of channels) c.onmessage = (e) => heard.push(String(e.data));
      let held = false;
      try {
        if (typeof navigator === "object" && navigator.locks) {
          navigator.locks.request("kiln", () => sleep(600));
          held = true;
        }
      } catch { /* refused */ }
      await sleep(600);
      for (const c of channels) c.close();
      let cached = null;
      try { cached = await (await (await caches.open("kiln")).match("http://kiln/x"))?.text(); }
      catch { /* refused */ }
      return { heard, held, cached: cached ?? null };`;
    const speak = `const said = [];
      try { new BroadcastChannel("kiln").postMessage("hello"); said.push("global"); } catch { /* no */ }
      try {
        const wt = await import(["node", "worker_threads"].join(":"));
        new wt.BroadcastChannel("kiln").postMessage("hello"); said.push("worker_threads");
      } catch { /* no */ }
      let locked = null;
      try {
        locked = await navigator.locks.request("kiln", { ifAvailable: true }, (l) => l === null);
      } catch { /* refused */ }
      try { await (await caches.open("kiln")).put("http://kiln/x", new Response("leak")); }
      catch { /* refused */ }
      return { said, lockedByOther: locked };`;
    const listening = run(tier, listen, { component: "a" });
    await new Promise((r) => setTimeout(r, 200));
    const spoke = await run(tier, speak, { component: "b" });
    const heard = (await listening).data as { heard: string[]; cached: string | null };
    assert.deepEqual(heard.heard, [], "a message crossed between sandboxes");
    assert.equal(heard.cached, null, "a cache entry crossed between sandboxes");
    assert.notEqual(
      (spoke.data as { lockedByOther: boolean | null }).lockedByOther,
      true,
      "a lock held in one sandbox was visible in another",
    );
  });

  test("a result nested deeper than json.depth is refused for output", async (tier) => {
    const nest = (n: number) => `let v = 0; for (let i = 0; i < ${n}; i++) v = [v]; return v;`;
    const max = LIMITS["json.depth"];
    assert.equal(valueDepth((await run(tier, nest(max))).data), max);
    await assert.rejects(run(tier, nest(max * 3)), (err) => {
      killed("output")(err);
      assert.match((err as Error).message, /nested more than 128 levels/);
      assert.equal(((err as KilnError).details as { limit?: string }).limit, "json.depth");
      return true;
    });
    assert.deepEqual((await run(tier, `return "alive";`)).data, "alive");
  });

  test("a result of more than json.items items is refused for output", async (tier) => {
    const many = (n: number) => `return Array.from({ length: ${n} }, () => []);`;
    const max = LIMITS["json.items"];
    assert.equal(((await run(tier, many(max / 4))).data as unknown[]).length, max / 4);
    await assert.rejects(run(tier, many(max * 2)), (err) => {
      killed("output")(err);
      assert.match((err as Error).message, /more than 200000 items/);
      assert.equal(((err as KilnError).details as { limit?: string }).limit, "json.items");
      return true;
    });
    assert.deepEqual((await run(tier, `return "alive";`)).data, "alive");
  });
}
