import assert from "node:assert/strict";
import { GuestRun } from "./_guest_run.ts";
import type { GuestLogLine, GuestOutcome, GuestSpec } from "./_protocol.ts";
import { GuestSnapshot } from "./_guest_snapshot.ts";

let snapshot: GuestSnapshot;

/** Each test on its own instance: how many images one may take depends on its history. */
async function fresh(): Promise<void> {
  snapshot = await GuestSnapshot.create(32);
}

/** An iife bundle: `top` runs once at its top level, `body` is the handler's. */
function bundle(top: string, body: string): string {
  return `(() => { const { mcp, log } = globalThis.__kiln;\n${top}\n` +
    `async function handler(requestData, context) {\n${body}\n}\n` +
    `globalThis.__kilnModule = { handler }; })();`;
}

/** Runs bundle `key` once with `input`, answering every MCP call with `1`; resets after. */
async function run(
  key: string,
  source: string,
  input: unknown = null,
  spec: Partial<GuestSpec> = {},
): Promise<{ outcome: GuestOutcome; value?: unknown; calls: string[]; logs: GuestLogLine[] }> {
  const calls: string[] = [];
  const guest: GuestRun = new GuestRun(snapshot, {
    source,
    key,
    entry: "handler",
    input: JSON.stringify([{ input }, {}]),
    timeoutMs: 2_000,
    memoryMb: 32,
    maxOutputBytes: 1 << 20,
    ...spec,
  }, {
    call(callId, tool) {
      calls.push(tool);
      queueMicrotask(() => guest.deliver(callId, JSON.stringify({ ok: true, value: 1 })));
    },
  });
  const outcome = await guest.run();
  const logs = guest.takeLogs();
  if (outcome.recycle) snapshot = await GuestSnapshot.create(32);
  else assert.equal(snapshot.reset(), true);
  const value = outcome.kind === "ok" ? JSON.parse(outcome.json) : undefined;
  return { outcome, value, calls, logs };
}

// One bundle that leaves everything it can behind when asked, and reports what it finds.
const LEAKY = bundle(
  `let counter = 0;
   const big = new Uint8Array(2 << 20);
   const config = { mode: "initial" };
   globalThis.shared = { items: [] };`,
  `const found = {
     counter, mode: config.mode, items: shared.items.length, leak: typeof globalThis.leak,
     polluted: ({}).polluted ?? null, push: typeof [].push, json: JSON.stringify(1),
     random: Math.random() === 0.5, kiln: typeof __kiln.mcp.call, console: typeof console.log,
     late: typeof globalThis.late, dirty: big.reduce((n, b) => n + (b !== 0 ? 1 : 0), 0),
     draw: Math.random(),
   };
   if (requestData.input === "leave") {
     counter++;
     config.mode = "changed";
     shared.items.push("secret");
     big.fill(7);
     globalThis.leak = "secret";
     Object.prototype.polluted = 1;
     Array.prototype.push = null;
     JSON.stringify = () => '"hijacked"';
     Math.random = () => 0.5;
     globalThis.__kiln = { hijacked: true };
     console.log = null;
     Promise.resolve().then(() => { globalThis.late = 1; });
     mcp.call("never-answered-in-time").then(() => { globalThis.late = 2; });
   }
   return found;`,
);
const CLEAN = {
  counter: 0,
  mode: "initial",
  items: 0,
  leak: "undefined",
  polluted: null,
  push: "function",
  json: "1",
  random: false,
  kiln: "function",
  console: "function",
  late: "undefined",
  dirty: 0,
};

Deno.test("an evaluated bundle's state is kept, and nothing an execution changes in it carries over", async () => {
  await fresh();
  const first = await run("leaky", LEAKY, "leave");
  assert.deepEqual(snapshot.bundleKeys, ["leaky"], "the bundle was not kept evaluated");
  const { draw: _, ...before } = first.value as Record<string, unknown>;
  assert.deepEqual(before, CLEAN);
  for (let i = 0; i < 3; i++) {
    const again = await run("leaky", LEAKY, i === 1 ? "leave" : "look");
    const { draw: _, ...found } = again.value as Record<string, unknown>;
    assert.deepEqual(found, CLEAN, `execution ${i + 2} saw what an earlier one left`);
  }
  assert.ok(snapshot.pristine(), "the memory differs from the bundle's image after reset()");
});

Deno.test("executions of a kept bundle draw different Math.random sequences", async () => {
  await fresh();
  const source = bundle(`const atLoad = Math.random();`, `return [atLoad, Math.random()];`);
  const [a, b] = [await run("draws", source), await run("draws", source)];
  const [x, y] = [a.value as number[], b.value as number[]];
  assert.deepEqual(snapshot.bundleKeys.includes("draws"), true);
  assert.equal(x[0], y[0], "the top level ran again");
  assert.notEqual(x[1], y[1]);
});

Deno.test("bundles kept on one instance do not see each other's state", async () => {
  await fresh();
  const a = bundle(
    `globalThis.owner = "a"; let n = 0;`,
    `n++; globalThis.fromA = n; return [owner, n, typeof fromB];`,
  );
  const b = bundle(
    `globalThis.owner = "b"; const pad = new Array(5e4).fill("b");`,
    `globalThis.fromB = 1; return [owner, typeof fromA, pad.length];`,
  );
  for (let i = 0; i < 3; i++) {
    assert.deepEqual((await run("a", a)).value, ["a", 1, "undefined"]);
    assert.deepEqual((await run("b", b)).value, ["b", "undefined", 5e4]);
  }
  // A bundle whose top level recursed deep, then a shallow one on the same instance.
  const deep = bundle(
    `const f = (n) => n === 0 ? 0 : f(n - 1) + 1; const depth = f(800);`,
    `return depth;`,
  );
  assert.deepEqual((await run("deep", deep)).value, 800);
  assert.deepEqual((await run("a", a)).value, ["a", 1, "undefined"]);
  assert.ok(snapshot.pristine());
  assert.deepEqual((await run("deep", deep)).value, 800);
  assert.ok(snapshot.bundleKeys.includes("deep") && snapshot.bundleKeys.includes("a"));
});

Deno.test("a bundle whose top level logs or calls a tool is evaluated again on every execution", async () => {
  await fresh();
  const logs = bundle(`log.info("loaded");`, `return 1;`);
  const calls = bundle(`const ready = mcp.call("setup");`, `await ready; return 2;`);
  for (let i = 0; i < 2; i++) {
    const logged = await run("logs", logs);
    assert.deepEqual(logged.logs.map((l) => l.message), ["loaded"]);
    const called = await run("calls", calls);
    assert.deepEqual([called.value, called.calls], [2, ["setup"]]);
  }
  assert.ok(!snapshot.bundleKeys.includes("logs") && !snapshot.bundleKeys.includes("calls"));
});

Deno.test("a bundle whose top level fails, loops or exhausts memory is never kept", async () => {
  await fresh();
  const throws = bundle(`throw new Error("bad top level");`, `return 1;`);
  assert.equal((await run("throws", throws)).outcome.kind, "error");
  const loops = bundle(`for (;;) {}`, `return 1;`);
  const looped = await run("loops", loops, null, { timeoutMs: 50 });
  assert.equal(looped.outcome.kind === "killed" && looped.outcome.reason, "timeout");
  const bomb = bundle(`const keep = []; for (;;) keep.push(new Array(1e5).fill(1));`, `return 1;`);
  const bombed = await run("bomb", bomb);
  assert.equal(bombed.outcome.kind === "killed" && bombed.outcome.reason, "memory");
  assert.deepEqual(
    snapshot.bundleKeys.filter((k) => ["throws", "loops", "bomb"].includes(k)),
    [],
  );
});

Deno.test("an instance keeps a bounded number of evaluated bundles, taken at a bounded rate", async () => {
  await fresh();
  const sources = Array.from({ length: 12 }, (_, i) => bundle(`const id = ${i};`, `return id;`));
  // Twelve bundles in turn: a burst of images, then one per so many executions, never more
  // images than executions allow, never more kept than the bound.
  for (let round = 0; round < 60; round++) {
    const i = round % sources.length;
    assert.deepEqual((await run(`b${i}`, sources[i])).value, i);
  }
  assert.ok(snapshot.imagesTaken >= 1 && snapshot.imagesTaken <= 4, `${snapshot.imagesTaken}`);
  for (let round = 0; round < 1200; round++) {
    const i = round % sources.length;
    assert.deepEqual((await run(`b${i}`, sources[i])).value, i);
  }
  assert.ok(snapshot.imagesTaken <= 4 + 1200 / 128 + 1, `${snapshot.imagesTaken} images taken`);
  assert.ok(snapshot.imagesTaken > 4, "no image was taken after the burst");
  assert.ok(snapshot.bundleKeys.length <= 8, `${snapshot.bundleKeys.length} bundles kept`);
});

Deno.test("an instance whose memory grew large takes no more bundle images", async () => {
  await fresh();
  snapshot = await GuestSnapshot.create(128);
  const grow = bundle(
    ``,
    `const keep = []; for (let i = 0; i < 80; i++) keep.push(new Uint8Array(1 << 20)); return 1;`,
  );
  assert.equal((await run("grow", grow, null, { memoryMb: 128 })).value, 1);
  assert.ok(snapshot.instance.bytes > 64 << 20, `${snapshot.instance.bytes} bytes`);
  const later = bundle(`const id = "later";`, `return id;`);
  assert.equal((await run("later", later, null, { memoryMb: 128 })).value, "later");
  assert.equal((await run("later", later, null, { memoryMb: 128 })).value, "later");
  assert.deepEqual(snapshot.bundleKeys, ["grow"]);
  assert.equal(snapshot.imagesTaken, 1, "the grown memory was scanned for an image");
});
