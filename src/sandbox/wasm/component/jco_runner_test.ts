import assert from "node:assert/strict";
import { KilnError, SANDBOX_NICE } from "../../../core/mod.ts";
import { fixtureComponent } from "../../../../tests/fixtures/components/_base64.ts";
import {
  buildComponent,
  HANDLE_ONE_ARG,
  offWorldComponent,
} from "../../../../tests/fixtures/components/build.ts";
import { executeRequest, RecordingHost } from "../../tier_common_case.ts";
import { DEFAULT_LIMITS, type ExecutionHost, type ExecutionLimits } from "../../tier.ts";
import { JcoComponentRunner } from "./jco_runner.ts";
import { processGone, threadNices } from "../../_host_probes.ts";
import { openCpuGroups } from "../../cpu_groups.ts";
import { cpuCgroupOf, requireCpuGroups } from "../../../../tests/_support/cpu_groups.ts";

const cpuGroups = await requireCpuGroups();

async function job(name: string, host: ExecutionHost, limits: Partial<ExecutionLimits> = {}) {
  const bytes = await fixtureComponent(name);
  return {
    request: executeRequest("wasmapp", { order: 7 }),
    code: { kind: "wasm-component" as const, bytes, entry: "handle", hash: `fixture-${name}` },
    limits: { ...DEFAULT_LIMITS, ...limits },
    host,
  };
}

async function killOf(promise: Promise<unknown>): Promise<KilnError> {
  const err = await promise.then(() => undefined, (e) => e);
  assert.ok(err instanceof KilnError, `expected a KilnError, got ${err}`);
  return err;
}

Deno.test("JcoComponentRunner runs a component handler and answers generic data", async () => {
  const runner = new JcoComponentRunner();
  try {
    const host = new RecordingHost();
    const j = await job("echo", host);
    const res = await runner.run(j);
    assert.equal(res.resultType, "generic");
    assert.equal(res.requestId, j.request.requestId);
    const data = res.data as { request: unknown; context: { appId: string } };
    assert.deepEqual(data.request, j.request.requestData);
    assert.equal(data.context.appId, "wasmapp");
    assert.deepEqual(host.logs, [{ level: "info", message: "echo start", source: "sdk" }]);
    const again = await runner.run(await job("echo", host));
    assert.equal(again.resultType, "generic");
    assert.equal(runner.stats().live, 1, "the warm worker is reused");
  } finally {
    await runner.close();
  }
});

Deno.test("JcoComponentRunner round-trips kiln:host/mcp.call through the execution host", async () => {
  const runner = new JcoComponentRunner();
  try {
    const host = new RecordingHost();
    const res = await runner.run(await job("mcp", host));
    assert.deepEqual(host.calls, [{ tool: "core.state.getRuntimeValue", params: { key: "abcd" } }]);
    assert.equal(res.resultType, "generic");
    assert.deepEqual(res.data, { tool: { found: true, value: 4 } });
  } finally {
    await runner.close();
  }
});

Deno.test("JcoComponentRunner hands a failed mcp.call to the guest as err with the Kiln code", async () => {
  const runner = new JcoComponentRunner();
  try {
    const host: ExecutionHost = {
      callTool: (tool) => Promise.reject(new KilnError("FORBIDDEN", `may not call "${tool}"`)),
      log: () => {},
    };
    const res = await runner.run(await job("mcp", host));
    assert.equal(res.resultType, "error");
    assert.deepEqual(res.data, {
      code: "FORBIDDEN",
      message: 'may not call "core.state.getRuntimeValue"',
    });
  } finally {
    await runner.close();
  }
});

Deno.test("JcoComponentRunner maps a component's err result to resultType error", async () => {
  const runner = new JcoComponentRunner();
  try {
    const res = await runner.run(await job("fail", new RecordingHost()));
    assert.equal(res.resultType, "error");
    assert.deepEqual(res.data, { code: "NOT_FOUND", message: "no such order" });
  } finally {
    await runner.close();
  }
});

Deno.test("JcoComponentRunner kills a trapping component as a crash and keeps serving", async () => {
  const runner = new JcoComponentRunner();
  try {
    const err = await killOf(runner.run(await job("trap", new RecordingHost())));
    assert.equal(err.code, "SANDBOX_KILLED");
    assert.equal((err.details as { reason: string }).reason, "crash");
    assert.match(err.message, /unreachable/);
    assert.equal((await runner.run(await job("echo", new RecordingHost()))).resultType, "generic");
    assert.deepEqual(runner.stats().kills, { crash: 1 });
  } finally {
    await runner.close();
  }
});

Deno.test("JcoComponentRunner terminates an endless loop at the deadline, its thread with its host", async () => {
  const runner = new JcoComponentRunner();
  try {
    await runner.run(await job("echo", new RecordingHost()));
    const pid = runner.hostPids().wasmapp;
    assert.ok(pid > 0 && pid !== Deno.pid, "the component ran in a host process of its own");
    const err = await killOf(
      runner.run(await job("spin", new RecordingHost(), { timeoutMs: 200 })),
    );
    assert.equal(err.code, "EXECUTION_TIMEOUT");
    assert.equal((err.details as { reason: string }).reason, "timeout");
    assert.equal(runner.stats().live, 1, "the echo worker stays warm");
    // terminate() leaves a looping thread running (Deno 2.9): only its process's end stops it.
    await processGone(pid, 5_000, "the component host");
    const again = await runner.run(await job("echo", new RecordingHost()));
    assert.equal(again.resultType, "generic");
    assert.notEqual(runner.hostPids().wasmapp, pid, "on a fresh host");
  } finally {
    await runner.close();
  }
});

Deno.test("JcoComponentRunner: a component waiting past its deadline is stopped; its host stays", async () => {
  class NeverHost extends RecordingHost {
    override callTool(): Promise<unknown> {
      return new Promise(() => {});
    }
  }
  const runner = new JcoComponentRunner();
  try {
    await runner.run(await job("echo", new RecordingHost()));
    const pid = runner.hostPids().wasmapp;
    const err = await killOf(runner.run(await job("mcp", new NeverHost(), { timeoutMs: 200 })));
    assert.equal(err.code, "EXECUTION_TIMEOUT");
    // Past the host's wait for the ended worker's answer (250 ms).
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await runner.run(await job("echo", new RecordingHost()))).resultType, "generic");
    assert.equal(runner.hostPids().wasmapp, pid, "the host was not replaced");
  } finally {
    await runner.close();
  }
});

Deno.test("JcoComponentRunner terminates the worker when the caller aborts", async () => {
  const runner = new JcoComponentRunner();
  try {
    const controller = new AbortController();
    const j = { ...(await job("spin", new RecordingHost())), signal: controller.signal };
    const running = killOf(runner.run(j));
    setTimeout(() => controller.abort(), 50);
    const err = await running;
    assert.equal(err.code, "EXECUTION_TIMEOUT");
    assert.deepEqual(err.details, { reason: "timeout", aborted: true });
    assert.equal(runner.stats().live, 0);
  } finally {
    await runner.close();
  }
});

Deno.test("JcoComponentRunner caps component memory at the job's limit", async () => {
  const runner = new JcoComponentRunner();
  try {
    const err = await killOf(runner.run(await job("grow", new RecordingHost(), { memoryMb: 16 })));
    assert.equal(err.code, "SANDBOX_KILLED");
    assert.equal((err.details as { reason: string }).reason, "memory");
    assert.match(err.message, /16 MB/);
  } finally {
    await runner.close();
  }
});

Deno.test("JcoComponentRunner refuses a result nested deeper than json.depth for output", async () => {
  const runner = new JcoComponentRunner();
  try {
    let nested: unknown = 0;
    for (let i = 0; i < 300; i++) nested = [nested];
    const j = await job("echo", new RecordingHost());
    j.request.requestData = { source: "internal", input: nested };
    const err = await killOf(runner.run(j));
    assert.equal(err.code, "SANDBOX_KILLED");
    assert.deepEqual(
      [(err.details as { reason: string }).reason, (err.details as { limit: string }).limit],
      ["output", "json.depth"],
    );
    assert.equal((await runner.run(await job("echo", new RecordingHost()))).resultType, "generic");
  } finally {
    await runner.close();
  }
});

Deno.test("JcoComponentRunner kills unbounded recursion with reason stack", async () => {
  const runner = new JcoComponentRunner();
  try {
    const err = await killOf(runner.run(await job("recurse", new RecordingHost())));
    assert.equal((err.details as { reason: string }).reason, "stack");
  } finally {
    await runner.close();
  }
});

Deno.test("JcoComponentRunner refuses bytes that are not a component", async () => {
  const runner = new JcoComponentRunner();
  try {
    const j = await job("echo", new RecordingHost());
    j.code = { ...j.code, bytes: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]), hash: "core" };
    const err = await killOf(runner.run(j));
    assert.equal(err.code, "COMPONENT_BUILD_FAILED");
  } finally {
    await runner.close();
  }
});

Deno.test("JcoComponentRunner refuses an entry the component does not export", async () => {
  const runner = new JcoComponentRunner();
  try {
    const j = await job("echo", new RecordingHost());
    j.code = { ...j.code, entry: "handle-other" };
    const err = await killOf(runner.run(j));
    assert.equal(err.code, "COMPONENT_BUILD_FAILED");
    assert.match(err.message, /"handle-other".*"handle"/);
  } finally {
    await runner.close();
  }
});

Deno.test("JcoComponentRunner gives WASI components stdout as logs, no env, no preopens", async () => {
  const runner = new JcoComponentRunner();
  try {
    const host = new RecordingHost();
    const res = await runner.run(await job("wasi", host));
    assert.equal(res.resultType, "generic");
    assert.deepEqual(res.data, { env: 0, preopens: 0 });
    assert.deepEqual(host.logs, [{ level: "info", message: "hello from wasi", source: "console" }]);
  } finally {
    await runner.close();
  }
});

Deno.test("JcoComponentRunner kills a component flooding WASI stdout for output, unbuffered", async () => {
  const wit = await Deno.readTextFile(
    new URL("../../../../tests/fixtures/components/wasi.wit", import.meta.url),
  );
  // 2,000 writes of 60,000 zero bytes (no newline): 120 MB unless the budget stops it.
  const body = `(import "wasi:cli/stdout@0.2.0" "get-stdout" (func $stdout (result i32)))
    (import "wasi:io/streams@0.2.0" "[method]output-stream.blocking-write-and-flush"
      (func $write (param i32 i32 i32 i32)))
    ;; ---
    (func (export "handle") (param i32 i32 i32 i32) (result i32)
      (local $i i32) (local $out i32)
      (local.set $out (call $stdout))
      (loop $more
        (call $write (local.get $out) (i32.const 0) (i32.const 60000) (i32.const 32))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $more (i32.lt_u (local.get $i) (i32.const 2000))))
      (call $ok))`;
  const prelude = await Deno.readTextFile(
    new URL("../../../../tests/fixtures/components/prelude.wat", import.meta.url),
  );
  const bytes = await buildComponent(body, prelude, "kiln:fixtures/wasi-handler@0.1.0", wit);
  const runner = new JcoComponentRunner();
  try {
    const host = new RecordingHost();
    const j = await job("echo", host, { maxOutputBytes: 1 << 20 });
    j.code = { ...j.code, bytes, hash: "stdout-flood" };
    const started = performance.now();
    const err = await killOf(runner.run(j));
    assert.equal(err.code, "SANDBOX_KILLED");
    assert.equal((err.details as { reason: string }).reason, "output");
    assert.ok(performance.now() - started < 3_000, "the flood was not stopped at the budget");
    assert.deepEqual(host.logs, [], "no line ended, so none was logged");
    assert.equal((await runner.run(await job("echo", new RecordingHost()))).resultType, "generic");
  } finally {
    await runner.close();
  }
});

Deno.test("JcoComponentRunner refuses a component importing WASI sockets before it runs", async () => {
  const wit = `package kiln:fixtures@0.1.0 {
    world net-handler { include kiln:handler/handler@0.1.0; import wasi:sockets/probe@0.2.0; }
  }
  package wasi:sockets@0.2.0 { interface probe { connect: func(port: u16) -> bool; } }`;
  const body =
    `(import "wasi:sockets/probe@0.2.0" "connect" (func $connect (param i32) (result i32)))
    ;; ---
    (func (export "handle") (param i32 i32 i32 i32) (result i32)
      (drop (call $connect (i32.const 80))) (call $ok))`;
  const prelude = await Deno.readTextFile(
    new URL("../../../../tests/fixtures/components/prelude.wat", import.meta.url),
  );
  const bytes = await buildComponent(body, prelude, "kiln:fixtures/net-handler@0.1.0", wit);
  const runner = new JcoComponentRunner();
  try {
    const host = new RecordingHost();
    const j = await job("echo", host);
    j.code = { ...j.code, bytes, hash: "net" };
    const err = await killOf(runner.run(j));
    assert.equal(err.code, "COMPONENT_BUILD_FAILED");
    assert.match(err.message, /wasi:sockets\/probe/);
    assert.equal(runner.stats().live, 0);
  } finally {
    await runner.close();
  }
});

Deno.test("JcoComponentRunner refuses a handler of the wrong signature before running it", async () => {
  const bytes = await offWorldComponent(...HANDLE_ONE_ARG);
  const runner = new JcoComponentRunner();
  try {
    for (let i = 0; i < 2; i++) {
      const j = await job("echo", new RecordingHost());
      j.code = { ...j.code, bytes, hash: "one-arg" };
      const err = await killOf(runner.run(j));
      assert.equal(err.code, "COMPONENT_BUILD_FAILED");
      assert.match(err.message, /does not implement the kiln:handler world/);
      assert.match(err.message, /export "handle" is `func\(string\) -> string`/);
    }
    assert.equal(runner.stats().live, 0, "no worker was started for it");
  } finally {
    await runner.close();
  }
});

Deno.test("JcoComponentRunner runs at most `concurrency` executions at once; the rest wait their turn", async () => {
  // Each run waits in its tool call until the test answers it (no guest that spins: a Deno
  // worker stuck in a loop is not stopped by terminate()).
  const answers: (() => void)[] = [];
  class HeldHost extends RecordingHost {
    override callTool(tool: string, params: unknown): Promise<unknown> {
      this.calls.push({ tool, params });
      return new Promise((resolve) => answers.push(() => resolve({ found: false })));
    }
  }
  const runner = new JcoComponentRunner({ concurrency: 3 });
  let peak = 0;
  const watch = setInterval(() => (peak = Math.max(peak, runner.stats().busy)), 10);
  try {
    const held = await job("mcp", new HeldHost());
    const runs = Array.from({ length: 6 }, () => runner.run(held));
    for (let answered = 0; answered < 6;) {
      while (answers.length === 0) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50));
      answered += answers.length;
      for (const answer of answers.splice(0)) answer();
    }
    for (const res of await Promise.all(runs)) assert.equal(res.resultType, "generic");
    // A long-running app alone leaves one place free for other apps (ADR 0036).
    assert.equal(peak, 2, "worker threads running at once");
  } finally {
    clearInterval(watch);
    await runner.close();
  }
});

Deno.test("JcoComponentRunner runs an app's component host and its workers below Kiln's CPU priority", async () => {
  const runner = new JcoComponentRunner();
  try {
    await runner.run(await job("echo", new RecordingHost()));
    const pid = runner.hostPids().wasmapp;
    const threads = threadNices(pid);
    const workers = threads.filter((t) => t.comm.startsWith("worker-"));
    assert.equal(workers.length, 1, JSON.stringify(threads));
    for (const t of [threads.find((t) => t.tid === pid)!, ...workers]) {
      assert.equal(t.nice, SANDBOX_NICE, `${t.comm} (${t.tid}) runs at nice ${t.nice}`);
    }
  } finally {
    await runner.close();
  }
});

Deno.test({
  name:
    "JcoComponentRunner puts an app's component host, its workers with it, in the app's CPU group",
  ignore: cpuGroups.ignore,
  async fn() {
    const groups = openCpuGroups();
    const runner = new JcoComponentRunner({ cpuGroups: groups });
    try {
      await runner.run(await job("echo", new RecordingHost()));
      const pid = runner.hostPids().wasmapp;
      const threads = threadNices(pid);
      assert.ok(threads.some((t) => t.comm.startsWith("worker-")), JSON.stringify(threads));
      for (const t of threads) {
        assert.match(String(await cpuCgroupOf(pid, t.tid)), /\/kiln-\d+\/app-wasmapp$/, t.comm);
      }
    } finally {
      await runner.close();
      groups.close();
    }
  },
});
