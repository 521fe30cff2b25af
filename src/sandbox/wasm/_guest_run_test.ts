import assert from "node:assert/strict";
import { guestCode } from "../tier_common_case.ts";
import { GuestRun, utf8Length } from "./_guest_run.ts";
import { MAX_CALLS_IN_FLIGHT } from "../tier.ts";
import type { GuestLogLine, GuestOutcome, GuestSpec } from "./_protocol.ts";
import { GuestSnapshot } from "./_guest_snapshot.ts";

let snapshot = await GuestSnapshot.create(32);

interface Sent {
  callId: number;
  tool: string;
  params?: string;
}

/** Runs a handler body in-thread; `answer` replies to each MCP call (or leaves it hanging). */
async function run(
  body: string,
  o: {
    spec?: Partial<GuestSpec>;
    answer?: (call: Sent) => unknown;
    source?: string;
  } = {},
): Promise<{ outcome: GuestOutcome; calls: Sent[]; logs: GuestLogLine[] }> {
  const calls: Sent[] = [];
  const logs: GuestLogLine[] = [];
  const code = guestCode(body, "iife") as { source: string; hash: string };
  const spec: GuestSpec = {
    source: o.source ?? code.source,
    // Every test here also runs with the bundle kept evaluated where its top level allows.
    ...(o.source === undefined ? { key: code.hash } : {}),
    entry: "handler",
    input: JSON.stringify([{ source: "internal", input: 7 }, { appId: "a" }]),
    timeoutMs: 2_000,
    memoryMb: 32,
    maxOutputBytes: 1 << 20,
    ...o.spec,
  };
  const guest: GuestRun = new GuestRun(snapshot, spec, {
    call(callId, tool, params, batch) {
      calls.push({ callId, tool, params });
      logs.push(...batch);
      const reply = o.answer?.({ callId, tool, params });
      if (reply !== undefined) queueMicrotask(() => guest.deliver(callId, JSON.stringify(reply)));
    },
  });
  const outcome = await guest.run();
  logs.push(...guest.takeLogs());
  if (outcome.recycle) snapshot = await GuestSnapshot.create(32);
  else snapshot.reset();
  return { outcome, calls, logs };
}

Deno.test("GuestRun returns the handler's result as JSON text and keeps the worker", async () => {
  const { outcome } = await run(`return { n: requestData.input, app: context.appId };`);
  assert.deepEqual(outcome, { kind: "ok", json: '{"n":7,"app":"a"}' });
  assert.deepEqual((await run(`return undefined;`)).outcome, { kind: "ok", json: "null" });
});

Deno.test("GuestRun turns a thrown value into an application error with its code", async () => {
  const coded = await run(`const e = new Error("gone"); e.code = "GONE"; throw e;`);
  assert.deepEqual(coded.outcome, { kind: "error", code: "GONE", message: "gone" });
  const plain = await run(`throw "just a string";`);
  assert.deepEqual(plain.outcome, {
    kind: "error",
    code: "APPLICATION_ERROR",
    message: "just a string",
  });
});

Deno.test("GuestRun reports a broken bundle or a missing entry as application errors", async () => {
  const broken = await run("", { source: "globalThis.__kilnModule = {" });
  assert.equal(broken.outcome.kind, "error");
  const missing = await run("", { source: "globalThis.__kilnModule = { other() {} };" });
  assert.deepEqual(missing.outcome, {
    kind: "error",
    code: "APPLICATION_ERROR",
    message: 'the bundle does not export "handler" as a function',
  });
});

Deno.test("GuestRun resolves mcp.call with the host's reply and rejects with its code", async () => {
  const { outcome, calls, logs } = await run(
    `log.info("before", { k: 1 });
     const a = await mcp.call("t.ok", { key: "abc" });
     let code = null;
     try { await mcp.call("t.denied"); } catch (e) { code = e.code + ":" + e.message; }
     console.warn("after", { x: [1] }, 2);
     return { a, code };`,
    {
      answer: (c) =>
        c.tool === "t.ok"
          ? { ok: true, value: { got: JSON.parse(c.params!) } }
          : { ok: false, code: "FORBIDDEN", message: "no" },
    },
  );
  assert.deepEqual(JSON.parse((outcome as { json: string }).json), {
    a: { got: { key: "abc" } },
    code: "FORBIDDEN:no",
  });
  assert.deepEqual(calls.map((c) => [c.tool, c.params]), [
    ["t.ok", '{"key":"abc"}'],
    ["t.denied", undefined],
  ]);
  assert.deepEqual(logs, [
    { level: "info", message: "before", fields: '{"k":1}', source: "sdk" },
    { level: "warn", message: 'after {"x":[1]} 2', source: "console" },
  ]);
});

Deno.test("GuestRun answers at once when the handler awaits something that never settles", async () => {
  const { outcome } = await run(`await new Promise(() => {}); return 1;`);
  assert.equal(outcome.kind, "error");
  assert.match((outcome as { message: string }).message, /never settle/);
});

Deno.test("GuestRun interrupts a busy loop and an unanswered call at the deadline", async () => {
  const busy = await run(`for (;;) {}`, { spec: { timeoutMs: 50 } });
  assert.equal(busy.outcome.kind === "killed" && busy.outcome.reason, "timeout");
  assert.equal(busy.outcome.recycle, undefined);
  const caught = await run(`try { for (;;) {} } catch { return "escaped"; }`, {
    spec: { timeoutMs: 50 },
  });
  assert.equal(caught.outcome.kind === "killed" && caught.outcome.reason, "timeout");
  const waiting = await run(`await mcp.call("slow"); return 1;`, { spec: { timeoutMs: 50 } });
  assert.equal(waiting.outcome.kind === "killed" && waiting.outcome.reason, "timeout");
});

Deno.test("GuestRun kills a memory bomb at the limit and drops the instance", async () => {
  const { outcome } = await run(
    `const keep = []; for (;;) keep.push(new Array(1e5).fill(keep.length));`,
  );
  assert.equal(outcome.kind === "killed" && outcome.reason, "memory");
  assert.equal(outcome.recycle, true);
  const caught = await run(
    `globalThis.keep = [];
     try { for (;;) keep.push(new Uint8Array(1 << 20)); } catch { return keep.length; }`,
  );
  assert.equal(caught.outcome.kind === "killed" && caught.outcome.reason, "memory");
  const single = await run(`return new Uint8Array(64 << 20).length;`);
  assert.equal(single.outcome.kind === "killed" && single.outcome.reason, "memory");
  const fits = await run(
    `const a = []; for (let i = 0; i < 20; i++) a.push(new Uint8Array(1 << 20));
    return a.length;`,
  );
  assert.deepEqual(fits.outcome, { kind: "ok", json: "20" });
});

Deno.test("GuestRun contains deep recursion with reason stack", async () => {
  const plain = await run(`const f = (n) => f(n + 1) + 1; return f(0);`);
  assert.equal(plain.outcome.kind === "killed" && plain.outcome.reason, "stack");
  const nested = await run(`let o = {}; for (let i = 0; i < 1e5; i++) o = { o }; return o;`);
  assert.equal(nested.outcome.kind === "killed" && nested.outcome.reason, "stack");
  const handled = await run(`const f = (n) => f(n + 1); try { f(0); } catch (e) { return "ok"; }`);
  assert.deepEqual(handled.outcome, { kind: "ok", json: '"ok"' });
});

Deno.test("GuestRun refuses a result or log volume past the output cap", async () => {
  const spec = { maxOutputBytes: 1000 };
  const big = await run(`return "x".repeat(2000);`, { spec });
  assert.equal(big.outcome.kind === "killed" && big.outcome.reason, "output");
  const wide = await run(`return "é".repeat(600);`, { spec });
  assert.equal(wide.outcome.kind === "killed" && wide.outcome.reason, "output");
  // Each line costs its text and `LOG_LINE_BYTES`: some 37 lines fit in 10,000 bytes.
  const chatty = await run(`for (let i = 0; ; i++) console.log("line", i);`, {
    spec: { maxOutputBytes: 10_000 },
  });
  assert.equal(chatty.outcome.kind === "killed" && chatty.outcome.reason, "output");
  assert.ok(chatty.logs.length > 10 && chatty.logs.length < 200, `${chatty.logs.length} lines`);
});

Deno.test("GuestRun caps MCP calls in flight and offers no ambient host globals", async () => {
  const { outcome, calls } = await run(
    `const all = [];
     for (let i = 0; i < ${
      MAX_CALLS_IN_FLIGHT + 3
    }; i++) all.push(mcp.call("t").catch((e) => e.code));
     const settled = await Promise.all(all);
     const names = ["Deno", "fetch", "require", "process", "setTimeout", "setInterval", "std", "os",
       "WebAssembly", "XMLHttpRequest", "importScripts", "print", "scriptArgs"];
     const found = names.filter((n) => typeof globalThis[n] !== "undefined");
     let imported;
     try { await import("node:fs"); imported = true; } catch (e) { imported = String(e); }
     return { overloaded: settled.filter((c) => c === "OVERLOADED").length, found, imported };`,
    { answer: () => ({ ok: true, value: 1 }) },
  );
  const data = JSON.parse((outcome as { json: string }).json);
  assert.equal(calls.length, MAX_CALLS_IN_FLIGHT);
  assert.equal(data.overloaded, 3);
  assert.deepEqual(data.found, []);
  assert.notEqual(data.imported, true);
});

Deno.test("GuestRun leaves nothing behind across many executions", async () => {
  for (let i = 0; i < 200; i++) {
    const { outcome } = await run(
      `Promise.reject(new Error("ignored")); mcp.call("never"); return ${i};`,
    );
    assert.deepEqual(outcome, { kind: "ok", json: String(i) });
  }
});

Deno.test("GuestRun starts every execution from the snapshot: nothing a guest leaves carries over", async () => {
  const left = await run(
    `globalThis.leak = "secret";
     Object.prototype.polluted = 1;
     Array.prototype.push = null;
     JSON.stringify = () => '"hijacked"';
     Math.random = () => 0.5;
     globalThis.__kiln = { hijacked: true };
     console.log = null;
     Promise.resolve().then(() => { globalThis.late = 1; });
     mcp.call("never").then(() => { globalThis.late = 2; });
     return "left";`,
  );
  assert.deepEqual(left.outcome, { kind: "ok", json: '"left"' });
  const { outcome } = await run(
    `return [typeof leak, ({}).polluted ?? null, typeof [].push, JSON.stringify(1),
      Math.random() === 0.5, typeof __kiln.mcp.call, typeof console.log, typeof late];`,
  );
  assert.deepEqual(JSON.parse((outcome as { json: string }).json), [
    "undefined",
    null,
    "function",
    "1",
    false,
    "function",
    "function",
    "undefined",
  ]);
});

Deno.test("GuestRun draws a fresh Math.random sequence in every execution", async () => {
  const draws = async () => {
    const { outcome } = await run(`return [Math.random(), Math.random(), Math.random.name];`);
    return JSON.parse((outcome as { json: string }).json) as [number, number, string];
  };
  const [a, b] = [await draws(), await draws()];
  assert.notDeepEqual(a.slice(0, 2), b.slice(0, 2));
  for (const x of [...a.slice(0, 2), ...b.slice(0, 2)] as number[]) assert.ok(x >= 0 && x < 1);
  assert.equal(a[2], "random");
});

Deno.test("GuestSnapshot.reset() puts the memory back to the image byte for byte", async () => {
  const fresh = await GuestSnapshot.create(32);
  assert.ok(fresh.pristine());
  const spec: GuestSpec = {
    source: (guestCode(
      `globalThis.keep = "x".repeat(1 << 20) + requestData.input; return keep.length;`,
      "iife",
    ) as { source: string }).source,
    entry: "handler",
    input: JSON.stringify([{ input: 7 }, {}]),
    timeoutMs: 2_000,
    memoryMb: 32,
    maxOutputBytes: 1 << 20,
  };
  const guest = new GuestRun(fresh, spec, { call() {} });
  assert.deepEqual(await guest.run(), { kind: "ok", json: String((1 << 20) + 1) });
  assert.ok(!fresh.pristine(), "the run changed nothing");
  assert.equal(fresh.reset(), true);
  assert.ok(fresh.pristine(), "the memory differs from the image after reset()");
  // The deepest stack QuickJS allows stays inside the restored window.
  const deep = new GuestRun(fresh, {
    ...spec,
    source: (guestCode(`const f = (n) => f(n + 1) + 1; return f(0);`, "iife") as { source: string })
      .source,
  }, { call() {} });
  assert.equal((await deep.run()).kind, "killed");
  assert.equal(fresh.reset(), true);
  assert.ok(fresh.pristine(), "a deep stack left bytes the reset did not put back");
});

Deno.test("utf8Length() counts UTF-8 bytes, surrogate pairs as four", () => {
  assert.equal(utf8Length("aé€😀"), 1 + 2 + 3 + 4);
});
