import assert from "node:assert/strict";
import { kilnChildCommand, KilnError, SANDBOX_NICE, silentLogger } from "../../core/mod.ts";
import {
  executeRequest,
  guestCode,
  RecordingHost,
  runTierConformance,
  SlowHost,
} from "../tier_common_case.ts";
import { DEFAULT_LIMITS, type ExecutionLimits } from "../tier.ts";
import { IsolateTier, type IsolateTierOptions } from "./isolate_tier.ts";
import { processGone, threadNices } from "../_host_probes.ts";

// The battery runs against hosts started with every permission, as a compiled Kiln's hosts start
// (its binary holds what it was compiled with): what contains the guests is the host dropping them.
runTierConformance(
  "isolate tier",
  "esm",
  () =>
    Promise.resolve(
      new IsolateTier({
        logger: silentLogger,
        queueTimeoutMs: 2_000,
        command: kilnChildCommand({ allowAll: true }),
      }),
    ),
);

async function withTier(opts: Partial<IsolateTierOptions>, fn: (t: IsolateTier) => Promise<void>) {
  const tier = new IsolateTier({ logger: silentLogger, ...opts });
  try {
    await fn(tier);
  } finally {
    await tier.close();
  }
}

function run(
  tier: IsolateTier,
  body: string,
  o: {
    app?: string;
    component?: string;
    host?: RecordingHost;
    limits?: Partial<ExecutionLimits>;
    isolateReuse?: "component" | "app";
  } = {},
) {
  return tier.execute({
    request: executeRequest(o.app ?? "iso", undefined, o.component),
    code: guestCode(body, "esm"),
    limits: { ...DEFAULT_LIMITS, timeoutMs: 5_000, memoryMb: 64, ...o.limits },
    host: o.host ?? new RecordingHost(),
    ...(o.isolateReuse ? { isolateReuse: o.isolateReuse } : {}),
  });
}

/**
 * Runs wait in the host behind any earlier run (ADR 0034 shares a place only while the app's last
 * run took under 50 ms by default, which a loaded machine can miss).
 */
const SHARING = { shareBelowMs: 60_000 } as const;

const reason = (expected: string) => (err: unknown) => {
  code("SANDBOX_KILLED")(err);
  assert.equal((err as KilnError & { details: { reason: string } }).details.reason, expected);
  return true;
};

const code = (expected: string) => (err: unknown) => {
  assert.ok(err instanceof KilnError, String(err));
  assert.equal(err.code, expected, err.message);
  return true;
};

Deno.test("IsolateTier keeps an app's module warm: module state survives between its requests", async () => {
  await withTier({}, async (tier) => {
    const body = `globalThis.hits = (globalThis.hits ?? 0) + 1; return globalThis.hits;`;
    assert.equal((await run(tier, body)).data, 1);
    assert.equal((await run(tier, body)).data, 2);
    assert.equal((await run(tier, body, { app: "other" })).data, 1, "apps never share a realm");
    assert.equal(Object.keys(tier.hostPids()).length, 2, "one host process per app");
  });
});

/** The tier's first started spare host (other test files' children are not looked at). */
async function startedSpare(tier: IsolateTier): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const [pid] = tier.sparePids();
    if (pid !== undefined) return pid;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("no spare host was started");
}

/** Whether process `pid` still exists (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

Deno.test("IsolateTier: prepare() gives an app its own host ahead, then a spare that ran nothing", async () => {
  const hosts: number[] = [];
  await withTier({}, async (tier) => {
    const limits = { memoryMb: DEFAULT_LIMITS.memoryMb };
    const key = (app: string) => `${app}@${limits.memoryMb}mb`;
    await tier.prepare("a", limits.memoryMb);
    const first = tier.hostPids()[key("a")];
    assert.ok(first && alive(first), "app a has its host before its first execution");
    // A spare is started for the next app; preparing that app hands it over, never app a's.
    const spare = await startedSpare(tier);
    assert.notEqual(spare, first);
    await tier.prepare("b", limits.memoryMb);
    assert.equal(tier.hostPids()[key("b")], spare, "app b takes the spare");
    const body =
      `const seen = globalThis.mark; globalThis.mark = context.appId; return seen ?? null;`;
    assert.equal((await run(tier, body, { app: "a", limits })).data, null);
    assert.equal((await run(tier, body, { app: "b", limits })).data, null, "b never sees a");
    assert.equal((await run(tier, body, { app: "a", limits })).data, "a");
    assert.deepEqual(tier.hostPids(), { [key("a")]: first, [key("b")]: spare });
    // A limit other than the spares' starts a host of its own.
    await run(tier, body, { app: "c", limits: { memoryMb: 64 } });
    assert.ok(![first, spare].includes(tier.hostPids()["c@64mb"]));
    hosts.push(...Object.values(tier.hostPids()), ...tier.sparePids());
  });
  assert.deepEqual(hosts.filter(alive), [], "close ends every host, spares included");
});

Deno.test("IsolateTier: runs that end in the same instant each get their own outcome", async () => {
  await withTier({ workersPerApp: 4, warmWorkers: 4 }, async (tier) => {
    await Promise.all([0, 1, 2, 3].map(() => run(tier, `return 0;`)));
    // The host sends the `done` frames of one event-loop turn together; one too large for a batch
    // goes alone, and errors and kills travel with the rest.
    const at = Date.now() + 400;
    const wait = `await new Promise((r) => setTimeout(r, ${at} - Date.now()));`;
    const [small, large, failed, over] = await Promise.allSettled([
      run(tier, `${wait} return "small";`),
      run(tier, `${wait} return "x".repeat(20_000);`),
      run(tier, `${wait} throw Object.assign(new Error("no"), { code: "NOPE" });`),
      run(tier, `${wait} return "y".repeat(3_000);`, { limits: { maxOutputBytes: 2_000 } }),
    ]);
    assert.equal(small.status === "fulfilled" && small.value.data, "small");
    assert.equal(large.status === "fulfilled" && large.value.data, "x".repeat(20_000));
    assert.equal(failed.status === "fulfilled" && failed.value.resultType, "error");
    assert.equal(
      failed.status === "fulfilled" && (failed.value.data as { code: string }).code,
      "NOPE",
    );
    assert.equal(over.status, "rejected");
    reason("output")(over.status === "rejected" && over.reason);
  });
});

Deno.test("IsolateTier queues beyond an app's workers and refuses with OVERLOADED", async () => {
  await withTier(
    { workersPerApp: 1, maxQueue: 1, queueTimeoutMs: 1_500, ...SHARING },
    async (tier) => {
      // A warm host first: the queue's timeout is about a busy worker, not a host's start-up.
      assert.equal((await run(tier, `return "warm";`)).data, "warm");
      const slow = `await new Promise((r) => setTimeout(r, 600)); return "slow";`;
      const first = run(tier, slow);
      // One waits in the host for the worker (see the tests below), one in Kiln's queue; the queue
      // is full then.
      const inHost = run(tier, `return "in host";`);
      const queued = run(tier, `return "queued";`);
      inHost.catch(() => {});
      queued.catch(() => {});
      await assert.rejects(run(tier, `return "fourth";`), code("OVERLOADED"));
      assert.equal((await first).data, "slow");
      assert.equal((await inHost).data, "in host");
      assert.equal(
        (await queued).data,
        "queued",
        "the queued execution ran once a worker was free",
      );
      assert.equal((await run(tier, `return "other";`, { app: "b" })).data, "other");
    },
  );
});

Deno.test("IsolateTier: a memory bomb ends only its app's host; other apps keep running", async () => {
  await withTier({}, async (tier) => {
    await run(tier, `return 1;`, { app: "calm" });
    const calmPid = tier.hostPids()["calm@64mb"];
    const steady = run(
      tier,
      `let n = 0; for (let i = 0; i < 20; i++) { await new Promise((r) => setTimeout(r, 25)); n++; } return n;`,
      { app: "calm" },
    );
    await assert.rejects(
      run(tier, `const keep = []; for (;;) keep.push(new Array(1e6).fill(1));`, {
        app: "bomb",
        limits: { timeoutMs: 20_000 },
      }),
      (err) => {
        code("SANDBOX_KILLED")(err);
        assert.equal(
          (err as KilnError).details && (err as { details: { reason: string } }).details.reason,
          "memory",
        );
        assert.match((err as Error).message, /exceeded its 64 MB memory limit/);
        return true;
      },
    );
    assert.equal((await steady).data, 20, "the other app's execution was not disturbed");
    assert.equal(tier.hostPids()["calm@64mb"], calmPid, "the other app's host kept running");
    assert.equal((await run(tier, `return "back";`, { app: "bomb" })).data, "back");
    assert.equal(tier.stats().kills.memory, 1);
  });
});

Deno.test("IsolateTier says why it cannot run without permission to start deno", async () => {
  await withTier({ command: kilnChildCommand({ denoPath: "/nonexistent/deno" }) }, async (tier) => {
    const why = tier.unavailableReason();
    if (why === null) {
      await assert.rejects(run(tier, `return 1;`), code("TIER_UNAVAILABLE"));
    } else assert.match(why, /nonexistent\/deno/);
  });
});

Deno.test("IsolateTier kills a host whose guest writes past the stray output budget to fd 1/2", async () => {
  await withTier({}, async (tier) => {
    const started = performance.now();
    await assert.rejects(
      run(
        tier,
        `const fs = await import(["node", "fs"].join(":"));
        const chunk = "y".repeat(1 << 16);
        for (let i = 0; i < 512; i++) fs.writeSync(i % 2 + 1, chunk);
        await new Promise((r) => setTimeout(r, 3_000));
        return "wrote";`,
        { limits: { timeoutMs: 10_000 } },
      ),
      (err) => {
        reason("output")(err);
        assert.match((err as KilnError).message, /produced more than/);
        assert.match(JSON.stringify((err as KilnError).details), /outside its frames/);
        return true;
      },
    );
    assert.ok(performance.now() - started < 2_500, "the host was not stopped at the budget");
    assert.equal((await run(tier, `return "back";`)).data, "back");
  });
});

Deno.test("IsolateTier: a guest can neither forge nor send frames; fd 1 is stray output only", async () => {
  await withTier({}, async (tier) => {
    const res = await run(
      tier,
      `const fs = await import(["node", "fs"].join(":"));
      const forged = Array.from({ length: 64 }, (_, i) =>
        JSON.stringify({ t: "done", id: i + 1, outcome: { kind: "ok", json: '"forged"' } }));
      fs.writeSync(1, "\\n" + forged.join("\\n") + "\\n");
      let send = "sent";
      try {
        (await import(["node", "process"].join(":"))).default.send(JSON.parse(forged[0]));
      } catch { send = "refused"; }
      let fd3 = "written";
      try { fs.writeSync(3, forged.join("\\n") + "\\n"); } catch { fd3 = "refused"; }
      await new Promise((r) => setTimeout(r, 50));
      return { send, fd3 };`,
    );
    assert.deepEqual(res.data, { send: "refused", fd3: "refused" });
    assert.equal((await run(tier, `return "next";`)).data, "next");
  });
});

Deno.test("IsolateTier: a host started with every permission drops them all before guest code runs", async () => {
  // Real targets, so only a missing permission can make each probe fail.
  const dir = await Deno.makeTempDir({ prefix: "kiln-revoke-" });
  const secret = `${dir}/secret.txt`;
  await Deno.writeTextFile(secret, "secret");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  void (async () => {
    for await (const conn of listener) accepted.push(conn);
  })().catch(() => {});
  const node = (m: string) => `await import(["node", "${m}"].join(":"))`;
  const target = JSON.stringify(`http://127.0.0.1:${listener.addr.port}/`);
  // Probes whose only barrier is a permission (the worker hides `Deno`, but `import()`, `fetch`
  // and `node:net` reach the checks without it) must fail on that permission.
  const permissionOnly: Record<string, [string, RegExp]> = {
    "read (import)": [
      `await import(${JSON.stringify(`file://${secret}`)}); return "imported";`,
      /NotCapable|Requires read access/,
    ],
    "net (node:net)": [
      `const net = ${node("net")};
      return await new Promise((ok, no) =>
        net.connect(${listener.addr.port}, "127.0.0.1").on("connect", () => ok("connected"))
          .on("error", no));`,
      /NotCapable|Requires net access/,
    ],
    "net (fetch)": [`return (await fetch(${target})).status;`, /NotCapable|Requires net access/],
  };
  // The rest go through `Deno` underneath, hidden from guests; blocked either way.
  const others: Record<string, string> = {
    read: `return (${node("fs")}).readFileSync(${JSON.stringify(secret)}, "utf8");`,
    write: `(${node("fs")}).writeFileSync(${JSON.stringify(`${dir}/w`)}, "x"); return "wrote";`,
    env: `return (${node("process")}).default.env.HOME ?? "no HOME";`,
    run: `return String((${node("child_process")}).execFileSync("/bin/echo", ["ran"]));`,
    sys: `return (${node("os")}).hostname();`,
    ffi: `(${node("process")}).default.dlopen({ exports: {} }, "libc.so.6"); return "loaded";`,
  };
  const probe = async (tier: IsolateTier, body: string) => {
    const res = await run(
      tier,
      `try { return { escaped: await (async () => { ${body} })() }; } ` +
        `catch (e) { return { blocked: String(e?.name ?? e) + ": " + String(e?.message) }; }`,
    );
    return res.data as { escaped?: unknown; blocked?: string };
  };
  try {
    await withTier({ command: kilnChildCommand({ allowAll: true }) }, async (tier) => {
      for (const [name, [body, why]] of Object.entries(permissionOnly)) {
        const data = await probe(tier, body);
        assert.equal(data.escaped, undefined, `${name}: the guest got ${data.escaped}`);
        assert.match(data.blocked!, why, name);
      }
      for (const [name, body] of Object.entries(others)) {
        const data = await probe(tier, body);
        assert.equal(data.escaped, undefined, `${name}: the guest got ${data.escaped}`);
        assert.ok(data.blocked, name);
      }
    });
    assert.equal(accepted.length, 0, "no connection reached the listener");
    await assert.rejects(Deno.stat(`${dir}/w`), Deno.errors.NotFound);
  } finally {
    listener.close();
    for (const conn of accepted) conn.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Kiln as its own isolate host refuses to run when a permission survives the drop", async () => {
  // The drop made a no-op: the check that follows it must stop the host.
  const childMain = new URL("../../child_main.ts", import.meta.url).href;
  const script = `Deno.permissions.revokeSync = () => ({ state: "granted" });
    const { runChild } = await import(${JSON.stringify(childMain)});
    await runChild("__isolate-host", ["{}"]);
    console.log("ran");`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", "--allow-read", "--allow-env", script],
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 1, stderr);
  assert.match(stderr, /kiln __isolate-host: refusing to run: still has .*"read".*"env"/);
  assert.equal(new TextDecoder().decode(out.stdout), "");
});

Deno.test("IsolateTier: at the worker cap another component's idle worker is retired, never reused", async () => {
  await withTier({ workersPerApp: 1 }, async (tier) => {
    const mark = `const before = globalThis.owner ?? null; globalThis.owner = context.componentId;
      return before;`;
    assert.equal((await run(tier, mark, { component: "a" })).data, null);
    assert.equal((await run(tier, mark, { component: "a" })).data, "a", "a stays warm");
    assert.equal((await run(tier, mark, { component: "b" })).data, null, "b got a fresh realm");
    assert.equal((await run(tier, mark, { component: "a" })).data, null, "a's worker was retired");
  });
});

Deno.test("IsolateTier shares one warm realm across components only for isolateReuse app", async () => {
  await withTier({ workersPerApp: 1 }, async (tier) => {
    const mark = `const before = globalThis.owner ?? null; globalThis.owner = context.componentId;
      return before;`;
    const shared = { isolateReuse: "app" as const };
    assert.equal((await run(tier, mark, { component: "a", ...shared })).data, null);
    assert.equal((await run(tier, mark, { component: "b", ...shared })).data, "a");
  });
});

Deno.test("IsolateTier retires a worker that ran work left over from an ended execution", async () => {
  await withTier({}, async (tier) => {
    const host = new RecordingHost();
    // A leftover firing during a later execution: refused there, the worker retired after it.
    await run(
      tier,
      `globalThis.marker = "warm";
      const timers = await import(["node", "timers"].join(":"));
      timers.setTimeout(() => mcp.call("core.state.getRuntimeValue", { key: "stale" })
        .catch((e) => { globalThis.refused = e.code; }), 100);
      return 1;`,
    );
    const during = await run(
      tier,
      `await new Promise((r) => setTimeout(r, 300));
      return { marker: globalThis.marker ?? null, refused: globalThis.refused ?? null };`,
      { host },
    );
    assert.deepEqual(during.data, { marker: "warm", refused: "FORBIDDEN" });
    assert.deepEqual(host.calls, []);
    const after = await run(tier, `return globalThis.marker ?? null;`);
    assert.equal(after.data, null, "the worker that carried stray work was reused");

    // A leftover firing while the worker is idle: the worker goes at once.
    await run(
      tier,
      `globalThis.marker = "warm";
      const timers = await import(["node", "timers"].join(":"));
      timers.setTimeout(() => log.info("stale"), 50);
      return 1;`,
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await run(tier, `return globalThis.marker ?? null;`)).data, null);
  });
});

Deno.test("IsolateTier: guest listeners on self never see a later execution's frame", async () => {
  await withTier({}, async (tier) => {
    await run(
      tier,
      `globalThis.sniffed = [];
      self.addEventListener("message", (e) => globalThis.sniffed.push(e.data));
      self.onmessage = (e) => globalThis.sniffed.push(e.data);
      return 1;`,
    );
    const res = await run(tier, `return globalThis.sniffed;`);
    assert.deepEqual(res.data, []);
    // Nor with the method that stops them replaced.
    const patched = await run(
      tier,
      `globalThis.taken = [];
      Event.prototype.stopImmediatePropagation = () => {};
      self.addEventListener("message", (e) => globalThis.taken.push(e.data?.t ?? "?"));
      return "patched";`,
    );
    assert.equal(patched.data, "patched");
    assert.deepEqual((await run(tier, `return globalThis.taken;`)).data, []);
  });
});

Deno.test("IsolateTier counts WebAssembly memories however the guest makes them", async () => {
  await withTier({}, async (tier) => {
    const grow = (make: string) =>
      `const memory = ${make};
      memory.grow(2400);
      new Uint8Array(memory.buffer).fill(1);
      globalThis.keep = memory;
      return memory instanceof WebAssembly.Memory;`;
    for (
      const make of [
        `new WebAssembly.Memory({ initial: 1, maximum: 65536 })`,
        `new (Object.getPrototypeOf(new WebAssembly.Memory({ initial: 1 })).constructor)(
          { initial: 1, maximum: 65536 })`,
        `new (class extends WebAssembly.Memory {})({ initial: 1, maximum: 65536 })`,
        // A module that exports its own memory: (module (memory (export "m") 1 65536))
        `new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0,
          0, 0, 5, 6, 1, 1, 1, 128, 128, 4, 7, 5, 1, 1, 109, 2, 0]))).exports.m`,
      ]
    ) {
      await assert.rejects(
        run(tier, grow(make), { limits: { memoryMb: 128 } }),
        reason("memory"),
        make,
      );
    }
  });
});

Deno.test("IsolateTier counts WebAssembly memories with the built-ins the count uses replaced", async () => {
  // The guest keeps what it needs, then replaces what a tracker written naively would call.
  const tamper = `
    const bufferOf = Object.getOwnPropertyDescriptor(WebAssembly.Memory.prototype, "buffer").get;
    const exportsOf = Object.getOwnPropertyDescriptor(WebAssembly.Instance.prototype, "exports").get;
    const realConstruct = Reflect.construct;
    const hidden = [];
    Reflect.construct = (C, args, target) => {
      hidden.push(realConstruct(C, args, target));
      return {};
    };
    WeakSet.prototype.has = () => true;
    WeakSet.prototype.add = function () { return this; };
    WeakRef.prototype.deref = () => undefined;
    Map.prototype.set = function () { return this; };
    Map.prototype.forEach = () => {};
    Object.values = () => [];
    for (const key of ["has", "add", "push", "splice", "instance", "exports", "length"]) {
      Object.defineProperty(Object.prototype, key, { get() { return 0; }, set() {}, configurable: true });
    }
    for (const proto of [ArrayBuffer.prototype, SharedArrayBuffer.prototype]) {
      Object.defineProperty(proto, "byteLength", { get() { return 0; }, configurable: true });
    }
    Object.defineProperty(WebAssembly.Memory.prototype, "buffer", {
      get() { return new ArrayBuffer(0); }, configurable: true,
    });
    const then = Promise.prototype.then;
    Promise.prototype.then = function (ok, no) { return then.call(this, ok, no); };
  `;
  const fill = (memory: string) =>
    `${memory}.grow(2400);
    new Uint8Array(bufferOf.call(${memory})).fill(1);
    globalThis.keep = ${memory};
    return 1;`;
  const bytes = `new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 6, 1, 1, 1, 128, 128, 4, 7, 5, 1,
    1, 109, 2, 0])`;
  await withTier({}, async (tier) => {
    for (
      const body of [
        // The memory itself, wherever the constructor left it.
        `${tamper} const made = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
          const m = hidden[0] ?? made; ${fill("m")}`,
        `${tamper} const m = exportsOf.call(new WebAssembly.Instance(new WebAssembly.Module(${bytes}))).m;
          ${fill("m")}`,
        `${tamper} const { instance } = await WebAssembly.instantiate(${bytes});
          const m = exportsOf.call(instance).m; ${fill("m")}`,
      ]
    ) {
      await assert.rejects(run(tier, body, { limits: { memoryMb: 128 } }), reason("memory"), body);
    }
  });
});

Deno.test("IsolateTier stops a guest holding too much memory as soon as it yields", async () => {
  const hold = `globalThis.keep = [];
    for (let i = 0; i < 19; i++) globalThis.keep.push(new Uint8Array(8 << 20).fill(1));
    await new Promise((r) => setTimeout(r, 8_000));
    return "held";`;
  // Setters that swallow what the bootstrap records on its own objects, getters that lie.
  const accessors = `for (const key of ["held", "retire", "ended", "logBytes", "memoryBytes"]) {
      Object.defineProperty(Object.prototype, key, {
        get() { return 0; }, set() {}, configurable: true,
      });
    }`;
  await withTier({}, async (tier) => {
    for (const prelude of ["", accessors]) {
      const started = performance.now();
      await assert.rejects(
        run(tier, `${prelude}\n${hold}`, { limits: { memoryMb: 128, timeoutMs: 10_000 } }),
        reason("memory"),
        prelude,
      );
      assert.ok(performance.now() - started < 5_000, "the check waited for the end of the run");
    }
  });
});

Deno.test("IsolateTier: Kiln holds a guest to its MCP calls in flight, whatever the guest replaced", async () => {
  const host = new SlowHost();
  await withTier({}, async (tier) => {
    const res = await run(
      tier,
      // The worker's own count reads a Map's size: the guest makes every Map look empty.
      `Object.defineProperty(Map.prototype, "size", { get() { return 0; }, configurable: true });
      const results = await Promise.allSettled(
        Array.from({ length: 100 }, () => __kiln.mcp.call("slow", {})),
      );
      return results.map((r) => r.status === "fulfilled" ? "ok" : r.reason.code);`,
      { host },
    );
    const answers = res.data as string[];
    assert.equal(host.most, 32, "calls the host had at once");
    assert.equal(answers.filter((a) => a === "ok").length, 32);
    assert.equal(answers.filter((a) => a === "OVERLOADED").length, 68);
  });
});

/**
 * An isolate host that breaks the protocol (what a host's main thread could send after a V8
 * escape): `onRun(frame, send)` answers each run; the rest of the program is the real host's
 * shape (ready, cancel, disconnect).
 */
async function withRogueHost(
  onRun: string,
  fn: (tier: IsolateTier) => Promise<void>,
): Promise<void> {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(
    script,
    `import process from "node:process";
    const timers = new Map();
    const send = (frame) => process.send(frame);
    const repeat = (id, fn) => { fn(); timers.set(id, setTimeout(() => repeat(id, fn), 0)); };
    const onRun = ${onRun};
    process.on("message", (frame) => {
      if (frame.t === "cancel") return clearTimeout(timers.get(frame.id));
      if (frame.t === "run") onRun(frame, send, repeat);
    });
    process.on("disconnect", () => Deno.exit(0));
    send({ t: "ready" });`,
  );
  const command = {
    file: Deno.execPath(),
    compiled: false,
    args: (_name: string, _flags: string[], _args: string[]) => ["run", "-A", script],
  };
  try {
    await withTier({ command, spareHosts: 0 }, fn);
  } finally {
    await Deno.remove(script);
  }
}

/** `promise`, or a rejection once `ms` have passed: a held run fails its test, not the suite. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The rogue answers `calm`'s runs as a host should. */
const CALM = `if (frame.input.includes('"appId":"calm"')) {
    return send({ t: "done", id: frame.id, outcome: { kind: "ok", json: "1" } });
  }`;

Deno.test("IsolateTier: Kiln stops a run whose log frames pass what its budget allows", async () => {
  // It answers a run with endless log lines (what a worker could send if its own count were
  // evaded).
  const host = new RecordingHost();
  await withRogueHost(
    `(frame, send, repeat) => {
      ${CALM}
      const line = { t: "log", id: frame.id, level: "info", message: "x".repeat(8000), source: "sdk" };
      repeat(frame.id, () => { for (let i = 0; i < 50; i++) send(line); });
    }`,
    async (tier) => {
      const started = performance.now();
      const flooding = run(tier, "return 1;", {
        app: "flood",
        host,
        limits: { maxOutputBytes: 64 * 1024 },
      });
      flooding.catch(() => {});
      // Another app is served meanwhile.
      assert.equal((await run(tier, "return 1;", { app: "calm" })).data, 1);
      await assert.rejects(flooding, reason("output"));
      assert.ok(performance.now() - started < 4_000, "stopped well before the deadline");
      // Six budgets of escaped text and 64 KiB: about 50 lines of 8 KB.
      assert.ok(host.logs.length < 60, `${host.logs.length} lines reached the host`);
    },
  );
});

Deno.test("IsolateTier: a host that announces a run's start again cannot hold it past its deadline", async () => {
  // `wait` and `started` over and over: each `started` would give the run a whole deadline more.
  await withRogueHost(
    `(frame, send, repeat) => {
      ${CALM}
      repeat(frame.id, () => { send({ t: "wait", id: frame.id }); send({ t: "started", id: frame.id }); });
    }`,
    async (tier) => {
      await assert.rejects(
        within(15_000, run(tier, "return 1;", { app: "stall", limits: { timeoutMs: 3_000 } })),
        (err) => {
          reason("output")(err);
          assert.match(JSON.stringify((err as KilnError).details), /\\"wait\\" out of order/);
          return true;
        },
      );
    },
  );
});

for (
  const [what, flood, perTurn] of [
    [
      "frames for a run that has ended",
      `{ t: "log", id, level: "info", message: "x".repeat(8000) }`,
      50,
    ],
    ["one `ready` after another", `{ t: "ready", pad: "x".repeat(8000) }`, 50],
  ] as const
) {
  Deno.test(`IsolateTier: a host sending ${what} is stopped at its stray budget`, async () => {
    // The first run is answered and then flooded with frames that carry nothing; the second is
    // held unanswered, so only Kiln stopping the host ends it before its deadline.
    await withRogueHost(
      `(frame, send, repeat) => {
        ${CALM}
        if (!frame.input.includes('"componentId":"first"')) return;
        const id = frame.id;
        send({ t: "done", id, outcome: { kind: "ok", json: "1" } });
        const line = ${flood};
        repeat(-1, () => { for (let i = 0; i < ${perTurn}; i++) send(line); });
      }`,
      async (tier) => {
        assert.equal((await run(tier, "return 1;", { app: "late", component: "first" })).data, 1);
        const started = performance.now();
        const held = run(tier, "return 1;", {
          app: "late",
          component: "second",
          limits: { timeoutMs: 20_000 },
        });
        held.catch(() => {});
        assert.equal((await run(tier, "return 1;", { app: "calm" })).data, 1);
        await assert.rejects(within(25_000, held), (err) => {
          reason("output")(err);
          assert.match(JSON.stringify((err as KilnError).details), /frames that carry nothing/);
          return true;
        });
        assert.ok(performance.now() - started < 15_000, "stopped well before the deadline");
      },
    );
  });
}

Deno.test("IsolateTier: a host retires workers past the warm one once they sat idle", async () => {
  // Generous against a loaded machine: the gap between two bursts must stay under the idle time.
  await withTier({ workersPerApp: 2, warmWorkers: 1, idleWorkerMs: 2_000 }, async (tier) => {
    // Both calls overlap, so the host runs them on two workers of the same component.
    const mark = `const before = globalThis.seen ?? null; globalThis.seen = true;
      await new Promise((r) => setTimeout(r, 300)); return before;`;
    const burst = async () =>
      (await Promise.all([run(tier, mark), run(tier, mark)])).map((r) => r.data);
    assert.deepEqual(await burst(), [null, null], "two fresh workers");
    assert.deepEqual(await burst(), [true, true], "both stay warm while in use");
    await new Promise((r) => setTimeout(r, 3_000));
    assert.deepEqual(
      (await burst()).sort(),
      [null, true],
      "after sitting idle one worker was retired; the warm one kept its realm",
    );
  });
});

Deno.test("IsolateTier stops an app's host once it ran nothing for idleMs; each execution postpones it", async () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await withTier({ idleMs: 800, spareHosts: 0 }, async (tier) => {
    assert.equal((await run(tier, "return 1;")).data, 1);
    const [pid] = Object.values(tier.hostPids());
    assert.ok(pid > 0);
    // Three more executions, each within the idle time of the one before, but together past it.
    for (let i = 0; i < 3; i++) {
      await sleep(450);
      assert.equal((await run(tier, "return 2;")).data, 2);
    }
    assert.deepEqual(Object.values(tier.hostPids()), [pid], "the same host served them all");
    const stopped = Date.now();
    while (Object.keys(tier.hostPids()).length > 0 && Date.now() - stopped < 10_000) {
      await sleep(50);
    }
    assert.deepEqual(tier.hostPids(), {}, "stopped once idle");
    assert.ok(Date.now() - stopped >= 300, "not before its idle time since the last execution");
    // The app's next execution starts a new host.
    assert.equal((await run(tier, "return 3;")).data, 3);
    assert.notEqual(Object.values(tier.hostPids())[0], pid);
  });
});

Deno.test("IsolateTier: retiring workers after a burst leaves their host running", async () => {
  // Memory a retired worker freed may stay resident (the allocator keeps it); the host's cap
  // must not take it for the remaining worker's and end a healthy host.
  await withTier(
    { workersPerApp: 8, warmWorkers: 1, idleWorkerMs: 1_000, spareHosts: 0 },
    async (tier) => {
      const heavy = `const keep = [];
      for (let i = 0; i < 40_000; i++) keep.push(new Uint8Array(1_000).fill(1));
      await new Promise((r) => setTimeout(r, 500));
      return keep.length;`;
      const burst = await Promise.all(
        Array.from({ length: 8 }, () => run(tier, heavy, { limits: { timeoutMs: 20_000 } })),
      );
      assert.deepEqual(burst.map((r) => r.data), Array(8).fill(40_000));
      const [pid] = Object.values(tier.hostPids());
      // Seven workers retire one by one once idle for a second; the samples after that must pass.
      await new Promise((r) => setTimeout(r, 4_500));
      assert.ok(Deno.statSync(`/proc/${pid}`).isDirectory, "the host still runs");
      assert.equal((await run(tier, "return 1;")).data, 1);
      assert.deepEqual(Object.values(tier.hostPids()), [pid], "the same host served it");
      assert.deepEqual(tier.stats().kills, {});
    },
  );
});

Deno.test("IsolateTier: runs past the workers' count wait in the host; each deadline runs from its start", async () => {
  // Two workers, four runs of 300 ms: two wait in the host for a worker. Their 450 ms deadline
  // and Kiln's watchdog (deadline + 100 ms) must count from their start, not from when Kiln sent
  // them (~600 ms before they end).
  await withTier(
    { workersPerApp: 2, warmWorkers: 2, watchdogGraceMs: 100, ...SHARING },
    async (tier) => {
      await run(tier, "return 0;");
      const [pid] = Object.values(tier.hostPids());
      const slow = `await new Promise((r) => setTimeout(r, 300)); return "done";`;
      const runs = Array.from({ length: 4 }, () => run(tier, slow, { limits: { timeoutMs: 450 } }));
      await new Promise((r) => setTimeout(r, 100));
      const during = tier.stats();
      assert.deepEqual([during.busy, during.queued], [2, 2], "two run, two wait in the host");
      assert.deepEqual((await Promise.all(runs)).map((r) => r.data), Array(4).fill("done"));
      assert.deepEqual(Object.values(tier.hostPids()), [pid], "the watchdog left the host alone");
      assert.deepEqual(tier.stats().kills, {});
    },
  );
});

Deno.test("IsolateTier: a run waiting in the host for a worker can be cancelled; the rest run", async () => {
  await withTier({ workersPerApp: 1, warmWorkers: 1, ...SHARING }, async (tier) => {
    await run(tier, "return 0;");
    const slow = `await new Promise((r) => setTimeout(r, 300)); return "done";`;
    const first = run(tier, slow);
    const caller = new AbortController();
    const waiting = tier.execute({
      request: executeRequest("iso"),
      code: guestCode(`return "ran";`, "esm"),
      limits: { ...DEFAULT_LIMITS, timeoutMs: 5_000, memoryMb: 64 },
      host: new RecordingHost(),
      signal: caller.signal,
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(tier.stats().queued, 1, "it waits in the host");
    caller.abort();
    await assert.rejects(waiting, (err: KilnError) => {
      assert.equal(err.code, "EXECUTION_TIMEOUT");
      assert.equal((err.details as { aborted?: boolean }).aborted, true);
      return true;
    });
    assert.equal((await first).data, "done", "the running one is untouched");
    assert.equal((await run(tier, `return "next";`)).data, "next");
  });
});

Deno.test("IsolateTier: a run waiting behind one that times out starts on a fresh worker", async () => {
  await withTier({ workersPerApp: 1, warmWorkers: 1, ...SHARING }, async (tier) => {
    await run(tier, "return 0;");
    const stuck = run(tier, "globalThis.seen = 'stale'; for (;;) {}", {
      limits: { timeoutMs: 300 },
    });
    const next = run(tier, "return globalThis.seen ?? 'fresh';", { limits: { timeoutMs: 2_000 } });
    await assert.rejects(stuck, code("EXECUTION_TIMEOUT"));
    assert.equal((await next).data, "fresh", "not on the worker the stuck run held");
  });
});

Deno.test("IsolateTier: behind slow runs, runs wait in Kiln's queue and time out there", async () => {
  await withTier({ workersPerApp: 1, warmWorkers: 1, queueTimeoutMs: 200 }, async (tier) => {
    const slow = `await new Promise((r) => setTimeout(r, 400)); return "done";`;
    assert.equal((await run(tier, slow)).data, "done");
    const ahead = run(tier, slow);
    await assert.rejects(run(tier, "return 1;"), code("OVERLOADED"));
    assert.equal((await ahead).data, "done");
  });
});

Deno.test("IsolateTier: a run waiting in the host is refused with OVERLOADED past its queue timeout", async () => {
  await withTier(
    { workersPerApp: 1, warmWorkers: 1, queueTimeoutMs: 200, ...SHARING },
    async (tier) => {
      assert.equal((await run(tier, "return 0;")).data, 0);
      const slow = run(tier, `await new Promise((r) => setTimeout(r, 900)); return "done";`);
      slow.catch(() => {}); // awaited below; a failed assertion before must not leave it dangling
      const sent = performance.now();
      const waiting = run(tier, `return "ran";`);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(tier.stats().queued, 1, "it waits in the host");
      await assert.rejects(waiting, (err: KilnError) => {
        assert.equal(err.code, "OVERLOADED");
        assert.match(err.message, /no sandbox became free within 200 ms/);
        assert.equal((err.details as { queueTimeoutMs: number }).queueTimeoutMs, 200);
        return true;
      });
      const waited = performance.now() - sent;
      assert.ok(
        waited >= 190 && waited < 700,
        `refused after its queue timeout, not the run ahead (${waited} ms)`,
      );
      assert.equal((await slow).data, "done", "the running one is untouched");
      assert.equal((await run(tier, `return "next";`)).data, "next");
      assert.deepEqual(tier.stats().kills, {});
    },
  );
});

Deno.test("IsolateTier: a guest stuck in a loop past its deadline takes its app's host down with it", async () => {
  await withTier({}, async (tier) => {
    await run(tier, `return 1;`, { app: "calm" });
    await run(tier, `return 1;`, { app: "loop" });
    const calmPid = tier.hostPids()["calm@64mb"];
    const loopPid = tier.hostPids()["loop@64mb"];
    await assert.rejects(
      run(tier, `for (;;) {}`, { app: "loop", limits: { timeoutMs: 300 } }),
      code("EXECUTION_TIMEOUT"),
    );
    // terminate() leaves the looping thread running (Deno 2.9): only the process's end stops it.
    await processGone(loopPid, 5_000, "the host of the looping guest");
    assert.equal(tier.hostPids()["calm@64mb"], calmPid, "the other app's host kept running");
    assert.equal((await run(tier, `return "calm";`, { app: "calm" })).data, "calm");
    assert.equal((await run(tier, `return "back";`, { app: "loop" })).data, "back");
    assert.notEqual(tier.hostPids()["loop@64mb"], loopPid, "on a fresh host");
  });
});

Deno.test("IsolateTier: a guest awaiting past its deadline is stopped with its worker; the host stays", async () => {
  await withTier({}, async (tier) => {
    await run(tier, `return 1;`);
    const pid = tier.hostPids()["iso@64mb"];
    await assert.rejects(
      run(tier, `await new Promise(() => {});`, { limits: { timeoutMs: 300 } }),
      code("EXECUTION_TIMEOUT"),
    );
    // Past the host's wait for the ended worker's answer (250 ms).
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await run(tier, `return "same";`)).data, "same");
    assert.equal(tier.hostPids()["iso@64mb"], pid, "the host was not replaced");
  });
});

Deno.test("IsolateTier: an app whose hosts are replaced in a row waits longer for each", async () => {
  await withTier({}, async (tier) => {
    const loop = () =>
      assert.rejects(
        run(tier, `for (;;) {}`, { app: "loop", limits: { timeoutMs: 200 } }),
        code("EXECUTION_TIMEOUT"),
      );
    await run(tier, `return 1;`, { app: "loop" });
    await loop();
    await processGone(tier.hostPids()["loop@64mb"], 5_000, "the first spent host");
    // The first replacement is at once.
    assert.equal((await run(tier, `return 1;`, { app: "loop" })).data, 1);
    await loop();
    await processGone(tier.hostPids()["loop@64mb"], 5_000, "the second spent host");
    await assert.rejects(run(tier, `return 2;`, { app: "loop" }), (err: KilnError) => {
      code("OVERLOADED")(err);
      assert.match(err.message, /replaced 2 times in a row/);
      const { retryAfterMs } = err.details as { retryAfterMs: number };
      assert.ok(retryAfterMs > 0 && retryAfterMs <= 500, `${retryAfterMs}`);
      return true;
    });
    assert.equal((await run(tier, `return "other";`, { app: "other" })).data, "other");
    await new Promise((r) => setTimeout(r, 550));
    assert.equal((await run(tier, `return 3;`, { app: "loop" })).data, 3);
  });
});

Deno.test("IsolateTier: runs already in a spent host finish before it goes", async () => {
  await withTier({}, async (tier) => {
    await run(tier, `return 1;`, { app: "loop" });
    const pid = tier.hostPids()["loop@64mb"];
    const steady = run(tier, `await new Promise((r) => setTimeout(r, 700)); return "done";`, {
      app: "loop",
    });
    await assert.rejects(
      run(tier, `for (;;) {}`, { app: "loop", limits: { timeoutMs: 200 } }),
      code("EXECUTION_TIMEOUT"),
    );
    assert.equal((await steady).data, "done", "the run beside the stuck one ran to its end");
    await processGone(pid, 3_000, "the spent host");
  });
});
Deno.test("IsolateTier runs an app's host and its guest workers below Kiln's CPU priority", async () => {
  await withTier({ workersPerApp: 2, warmWorkers: 1, ...SHARING }, async (tier) => {
    // Two at once: the second runs on a worker the host starts now, long after its own start.
    const slow = `await new Promise((r) => setTimeout(r, 300)); return 1;`;
    await Promise.all([run(tier, slow), run(tier, slow)]);
    const [pid] = Object.values(tier.hostPids());
    const threads = threadNices(pid);
    const workers = threads.filter((t) => t.comm.startsWith("worker-"));
    assert.equal(workers.length, 2, JSON.stringify(threads));
    for (const t of [threads.find((t) => t.tid === pid)!, ...workers]) {
      assert.equal(t.nice, SANDBOX_NICE, `${t.comm} (${t.tid}) runs at nice ${t.nice}`);
    }
    assert.equal(
      threadNices(Deno.pid).find((t) => t.tid === Deno.pid)!.nice,
      0,
      "Kiln keeps its own",
    );
  });
});
