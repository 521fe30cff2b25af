import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { TalliedHost } from "./_tallied_host.ts";
import type { ExecutionHost } from "./tier.ts";

/** A host whose tools answer by name; `llm` answers as a replayed recording. */
function innerHost(): ExecutionHost & { logs: string[]; failed: string[] } {
  const logs: string[] = [];
  const failed: string[] = [];
  return {
    logs,
    failed,
    callTool(tool) {
      if (tool === "broken") return Promise.reject(new KilnError("FORBIDDEN", "no"));
      if (tool === "llm") return Promise.resolve({ provenance: { kind: "recording" } });
      return Promise.resolve({ ok: true });
    },
    log(level, message, _fields, source) {
      logs.push(`${level} ${message} ${source}`);
    },
    toolFailed(tool, error) {
      failed.push(`${tool} ${error.code}`);
    },
  };
}

Deno.test("TalliedHost counts each tool's calls, failed ones too, and marks recorded answers", async () => {
  const inner = innerHost();
  const host = new TalliedHost(inner, undefined);
  assert.equal(host.tally, undefined, "no tally before the first call");
  assert.deepEqual(await host.callTool("state", {}), { ok: true });
  await host.callTool("state", {});
  await assert.rejects(host.callTool("broken", {}), (err: KilnError) => err.code === "FORBIDDEN");
  await host.callTool("llm", {});
  host.recordCall("remote", 12.5);
  const counts = Object.fromEntries(
    [...host.tally!].map(([tool, t]) => [tool, [t.count, t.recording ?? false]]),
  );
  assert.deepEqual(counts, {
    state: [2, false],
    broken: [1, false],
    llm: [1, true],
    remote: [1, false],
  });
  assert.equal(host.tally!.get("remote")!.total_duration_ms, 12.5);
});

Deno.test("TalliedHost passes log lines and tool failures to the execution's own host", () => {
  const inner = innerHost();
  const host = new TalliedHost(inner, undefined);
  host.log("warn", "careful", undefined, "console");
  host.toolFailed("broken", { code: "FORBIDDEN", message: "no" });
  assert.deepEqual(inner.logs, ["warn careful console"]);
  assert.deepEqual(inner.failed, ["broken FORBIDDEN"]);
  assert.equal(host.inContext(() => 42), 42);
});
