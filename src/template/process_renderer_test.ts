import assert from "node:assert/strict";
import { KilnError, silentLogger } from "../core/mod.ts";
import { ProcessRenderer } from "./process_renderer.ts";
import type { RenderJob } from "./renderer.ts";

const job = (source: string, opts: { timeoutMs?: number; appId?: string } = {}): RenderJob => ({
  appId: opts.appId ?? "a",
  parts: [{ source, vars: 0, what: "prompt t" }],
  vars: [{ name: "Ada" }],
  timeoutMs: opts.timeoutMs ?? 2_000,
  // A process start is waited for apart from the render's own budget: under a loaded CI machine
  // it can take seconds, which is not what these tests measure.
  waitMs: 30_000,
});

const NESTED_LOOPS =
  "{% for a in range(4000) %}{% for b in range(4000) %}x{% endfor %}{% endfor %}";
/** 2^27 characters in 27 steps: no step counter would see it coming. */
const DOUBLING = "{% set s = 'xx' %}" + "{% set s = s ~ s %}".repeat(26);

async function rejectsWith(
  work: Promise<unknown>,
  code: string,
  details: Record<string, unknown>,
): Promise<void> {
  await assert.rejects(work, (err: unknown) => {
    assert.ok(err instanceof KilnError, String(err));
    assert.equal(err.code, code, err.message);
    for (const [k, v] of Object.entries(details)) {
      assert.deepEqual((err.details as Record<string, unknown>)[k], v, `details.${k}`);
    }
    return true;
  });
}

async function withRenderer(
  fn: (r: ProcessRenderer) => Promise<void>,
  opts: { heapMb?: number; idleMs?: number } = {},
): Promise<void> {
  const r = new ProcessRenderer({ logger: silentLogger, ...opts });
  try {
    await fn(r);
  } finally {
    await r.close();
  }
}

Deno.test("ProcessRenderer renders in a child process and keeps template errors with line numbers", async () => {
  await withRenderer(async (r) => {
    assert.deepEqual(await r.render(job("Hello {{ name }}")), ["Hello Ada"]);
    await rejectsWith(r.render(job("Hi\n{{ nope }}")), "PROMPT_RENDER_FAILED", {
      variable: "nope",
    });
    await assert.rejects(r.render(job("Hi\n{{ nope }}")), /undefined \(line 2\)/);
    await rejectsWith(r.render(job('{{ "".constructor }}')), "PROMPT_INVALID", {});
    await rejectsWith(
      r.render(job("{% for i in range(1000000) %}{% endfor %}")),
      "PROMPT_INVALID",
      {},
    );
    const [pid] = r.processes().map((p) => p.pid);
    assert.ok(pid && pid !== Deno.pid, "the render ran in another process");
  });
});

Deno.test("ProcessRenderer stops a template at its deadline and the app renders again", async () => {
  await withRenderer(async (r) => {
    await r.render(job("warm")); // the process start is not what this measures
    const started = performance.now();
    await rejectsWith(r.render(job(NESTED_LOOPS, { timeoutMs: 300 })), "EXECUTION_TIMEOUT", {
      reason: "timeout",
      stage: "prompt template",
      limit: "template.ms",
    });
    const took = performance.now() - started;
    // 16 million iterations run for tens of seconds; the deadline ends them (with slack for a
    // loaded machine).
    assert.ok(took < 3_000, `stopped after ${took.toFixed(0)} ms`);
    assert.deepEqual(await r.render(job("Hello {{ name }}")), ["Hello Ada"]);
  });
});

Deno.test("ProcessRenderer refuses output past template.output without copying it", async () => {
  await withRenderer(async (r) => {
    await rejectsWith(r.render(job(`${DOUBLING}{{ s }}`)), "SANDBOX_KILLED", {
      reason: "output",
      limit: "template.output",
      stage: "prompt template",
    });
    await rejectsWith(
      r.render(job("{% set s = 'x' %}" + "{% set s = s ~ s %}".repeat(29) + "{{ s | length }}")),
      "SANDBOX_KILLED",
      { reason: "memory", stage: "prompt template" },
    );
  });
});

Deno.test("ProcessRenderer ends a template that exhausts its heap, and only that app's process", async () => {
  await withRenderer(async (r) => {
    await r.render(job("warm", { appId: "other" }));
    // A megabyte string, copied flat on every push: the heap fills in a few dozen steps.
    const hog = "{% set l = [] %}{% set s = 'xx' %}{% for i in range(19) %}{% set s = s ~ s %}" +
      "{% endfor %}{% for a in range(10000) %}{% set _ = l.push(s | upper) %}{% endfor %}" +
      "{{ l | length }}";
    await rejectsWith(r.render(job(hog, { timeoutMs: 10_000 })), "SANDBOX_KILLED", {
      reason: "memory",
      limit: "template.memoryMb",
    });
    const other = r.processes().find((p) => p.appId === "other")!;
    assert.equal(other.alive, true, "another app's renderer is untouched");
    assert.deepEqual(await r.render(job("Hello {{ name }}")), ["Hello Ada"], "a new process");
  }, { heapMb: 48 });
});

Deno.test("ProcessRenderer keeps other apps rendering while one app's template loops", async () => {
  await withRenderer(async (r) => {
    await Promise.all([r.render(job("warm")), r.render(job("warm", { appId: "b" }))]);
    const loops = [1, 2, 3].map(() =>
      r.render(job(NESTED_LOOPS, { timeoutMs: 1_000 })).catch((e) => e)
    );
    const started = performance.now();
    for (let i = 0; i < 5; i++) await r.render(job("Hello {{ name }}", { appId: "b" }));
    const took = performance.now() - started;
    // Queued behind app a's loops it would wait at least their 1 s deadline.
    assert.ok(took < 900, `app b waited ${took.toFixed(0)} ms`);
    const errors = await Promise.all(loops);
    assert.ok(errors.every((e) => e instanceof KilnError && e.code === "EXECUTION_TIMEOUT"));
  });
});

Deno.test("ProcessRenderer stops an app's process once it has been idle", async () => {
  await withRenderer(async (r) => {
    await r.render(job("Hello"));
    assert.equal(r.processes().length, 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(r.processes().length, 0, "the idle process was stopped");
    assert.deepEqual(await r.render(job("Hello {{ name }}")), ["Hello Ada"]);
  }, { idleMs: 100 });
});
