/**
 * The conformance suite every `TierDriver` passes (Hono's common.case.test.ts pattern): the same
 * `/execute` behaviours and the same escape battery, run against each tier by its own test file.
 * Guest code is written once as a function body and wrapped in the bundle format the tier accepts.
 */
import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import type { ExecuteRequest, ExecuteResponse } from "../models/mod.ts";
import {
  DEFAULT_LIMITS,
  type ExecutionCode,
  type ExecutionHost,
  type ExecutionLimits,
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

/** A minimal valid `/execute` request for app `appId`. */
export function executeRequest(appId = "conf", input?: unknown): ExecuteRequest {
  return {
    requestId: crypto.randomUUID(),
    requestData: { source: "internal", input },
    context: {
      appId,
      componentId: "c",
      mcp_endpoint: "http://127.0.0.1/mcp",
      mcp_token: "kiln_exec_test",
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
    o: { host?: RecordingHost; limits?: Partial<ExecutionLimits>; app?: string; input?: unknown } =
      {},
  ): Promise<ExecuteResponse> =>
    tier.execute({
      request: executeRequest(o.app, o.input),
      code: guestCode(body, format),
      limits: { ...DEFAULT_LIMITS, timeoutMs: 3_000, memoryMb: 64, ...o.limits },
      host: o.host ?? new RecordingHost(),
    });
  const killed = (reason: string) => (err: unknown) => {
    assert.ok(err instanceof KilnError, `expected a KilnError, got ${err}`);
    assert.ok(["SANDBOX_KILLED", "EXECUTION_TIMEOUT"].includes(err.code), err.code);
    assert.equal((err.details as { reason?: string }).reason, reason, err.message);
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
        `self.close(); return true;`,
        `new Worker("data:text/javascript,1", { type: "module" }); return true;`,
      ]
    ) await contained(tier, probe);
    assert.deepEqual((await run(tier, `return "alive";`)).data, "alive");
  });

  test("escape: prototype pollution never reaches the host or another app", async (tier) => {
    await run(tier, `Object.prototype.polluted = "yes"; Array.prototype.push = () => 0; return 1;`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, "the host is polluted");
    const other = await run(tier, `return { polluted: ({}).polluted ?? null };`, { app: "other" });
    assert.deepEqual(other.data, { polluted: null }, "another app sees the pollution");
    const same = await run(tier, `return { polluted: ({}).polluted ?? null };`);
    const expected = tier.reuse === "app" ? "yes" : null;
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
}
