import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { bundleEsm, esmToIife, type ReadFile } from "./_esbuild.ts";

const reader = (files: Record<string, string>): ReadFile => (path) =>
  Promise.resolve(path in files ? files[path] : null);

/** ~1 MB of TypeScript: many small exported functions, as an app may write (per file). */
function bigScript(functions = 6_000): string {
  const lines = [];
  for (let i = 0; i < functions; i++) {
    lines.push(
      `export function handler${i}(input: { value: number; label: string }): string {\n` +
        `  const doubled: number = input.value * ${i} + ${i % 7};\n` +
        `  return \`\${input.label}-\${doubled}-${i}\`.padEnd(${i % 40}, "x");\n}\n`,
    );
  }
  return lines.join("");
}

/**
 * Runs `work` while this thread serves HTTP, as Kiln does: a 2 ms interval timer and a loop of
 * requests to a local server; answers the longest the event loop went unserved. (With no I/O
 * pending, esbuild's Go runtime yields to timers often; with a request waiting, it holds the
 * thread for the whole build.)
 */
async function maxLoopGap<T>(
  work: () => Promise<T>,
): Promise<{ gap: number; ms: number; value: T }> {
  let last = performance.now();
  let gap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
  }, 2);
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    () => new Response("ok"),
  );
  let running = true;
  const probes = (async () => {
    while (running) {
      const started = performance.now();
      await (await fetch(`http://127.0.0.1:${server.addr.port}/`)).text();
      gap = Math.max(gap, performance.now() - started);
    }
  })();
  const start = performance.now();
  let value: T;
  let ms: number;
  try {
    value = await work();
    ms = performance.now() - start;
  } finally {
    // A request held up by the build completes after it: its wait counts.
    running = false;
    await probes;
    clearInterval(timer);
    await server.shutdown();
  }
  return { gap, ms, value };
}

Deno.test("bundleEsm() builds a megabyte of TypeScript without stalling Kiln's event loop", async () => {
  const source = bigScript();
  assert.ok(source.length > 900_000, `${source.length} chars`);
  const files = { "code/main.ts": source };
  // esbuild's compiled module loads once per process, on the first build (~0.5 s on this thread
  // at load 12, a source-phase import): not what this test is about.
  await bundleEsm("code/main.ts", reader({ "code/main.ts": "export const a = 1;" }));
  // Starting a worker holds this thread too (~150 ms at load 12, `new Worker`): a build on a
  // warm one is measured, twice.
  for (let round = 0; round < 2; round++) {
    const { gap, ms, value } = await maxLoopGap(() => bundleEsm("code/main.ts", reader(files)));
    assert.equal(value.exports.length, 6_000);
    // On the main thread the longest gap was the build itself (7.9 s of an 8.0 s build at load
    // 11.5); what remains is handing the source over and taking the bundle back, and this
    // thread's own scheduling on a loaded machine (up to ~0.5 s seen at load 10).
    assert.ok(
      gap < 1_000 && gap < ms / 4,
      `event loop stalled ${gap.toFixed(0)} ms of a ${ms.toFixed(0)} ms build`,
    );
  }
});

Deno.test("bundleEsm() stops a build at its deadline, and the next build starts afresh", async () => {
  const files = { "code/main.ts": bigScript() };
  const start = performance.now();
  const err = await bundleEsm("code/main.ts", reader(files), { deadlineMs: 20 }).catch((e) => e);
  assert.ok(performance.now() - start < 5_000, "the deadline ended the build");
  assert.ok(err instanceof KilnError, String(err));
  assert.equal(err.code, "COMPONENT_BUILD_FAILED");
  assert.match(
    err.message,
    /^script "code\/main.ts" did not build within 20 ms \(limit "bundle.ms"\)/,
  );
  const { limit, reason, script } = err.details as Record<string, unknown>;
  assert.deepEqual(
    { limit, reason, script },
    { limit: "bundle.ms", reason: "timeout", script: "code/main.ts" },
  );
  const small = await bundleEsm(
    "code/main.ts",
    reader({ "code/main.ts": "export const answer = (): number => 42;" }),
  );
  assert.deepEqual(small.exports, ["answer"]);
  const late = await esmToIife("code/main.ts", small.source, { deadlineMs: 0 }).catch((e) => e);
  assert.equal(late.details.limit, "bundle.ms");
  assert.match(await esmToIife("code/main.ts", small.source), /__kilnModule/);
});

Deno.test("bundleEsm()'s deadline runs from the build's start, not the worker's", async () => {
  // Starting the worker and esbuild in it takes 0.2-1.1 s here; a small build 20-80 ms, more under
  // a loaded test run. A try proves the point when the build succeeds although the whole took
  // longer than its deadline: the start was not charged to it. The deadline adapts between tries:
  // below the last whole when that whole fit in it, above the last build when that build did not.
  let deadlineMs = 300;
  const tries: string[] = [];
  for (let i = 0; i < 8; i++) {
    // A build past its deadline ends the worker, so the next build starts a fresh one.
    const ended = await bundleEsm("code/main.ts", reader({ "code/main.ts": bigScript() }), {
      deadlineMs: 20,
    }).catch((e) => e);
    assert.equal(ended.details?.limit, "bundle.ms");
    const start = performance.now();
    const small = await bundleEsm(
      "code/main.ts",
      reader({ "code/main.ts": "export const answer = (): number => 42;" }),
      { deadlineMs },
    ).catch((e) => e);
    const ms = Math.round(performance.now() - start);
    if (!(small instanceof Error) && ms > deadlineMs) {
      assert.deepEqual(small.exports, ["answer"]);
      return;
    }
    tries.push(
      small instanceof Error
        ? `${small.message} after ${ms} ms (deadline ${deadlineMs})`
        : `done in ${ms} ms (deadline ${deadlineMs})`,
    );
    deadlineMs = small instanceof Error
      ? Math.round(deadlineMs * 1.5)
      : Math.max(30, Math.round(ms * 0.6));
  }
  assert.fail(
    `no fresh worker built within its own deadline but past it overall: ${tries.join("; ")}`,
  );
});

Deno.test("bundleEsm() queues builds on its worker, and one failing leaves the others whole", async () => {
  const [bad, good, slow] = await Promise.allSettled([
    bundleEsm("code/main.ts", reader({ "code/main.ts": "export const = ;" })),
    bundleEsm("code/main.ts", reader({ "code/main.ts": "export const a = 1;" })),
    bundleEsm("code/main.ts", reader({ "code/main.ts": bigScript(2_000) }), { deadlineMs: 5 }),
  ]);
  assert.equal(bad.status, "rejected");
  assert.match((bad as PromiseRejectedResult).reason.message, /code\/main.ts:1:\d+: /);
  assert.deepEqual(good.status === "fulfilled" && good.value.exports, ["a"]);
  assert.equal((slow as PromiseRejectedResult).reason.details.limit, "bundle.ms");
  const after = await bundleEsm("code/main.ts", reader({ "code/main.ts": "export const b = 2;" }));
  assert.deepEqual(after.exports, ["b"]);
});
