/**
 * `/metrics` of a real `kiln serve` that served isolate-tier requests, checked by Prometheus' own
 * linter (`promtool check metrics`, from Debian's `prometheus` package) and for the names and
 * units operators look for: snake_case labels, seconds and bytes, build info, process metrics,
 * open sandboxes per tier.
 */
import assert from "node:assert/strict";
import { ATTACK_TOKEN, BYSTANDER_PATH, startAttackKiln } from "./_support/attack.ts";
import { hasCommand } from "./_support/redis_server.ts";
import { requireService } from "./_support/services.ts";

const promtool = await requireService("promtool", () => hasCommand("promtool"));

/** Runs `promtool check metrics` on `text`; its problems go to stdout or stderr. */
async function promtoolCheck(text: string) {
  const child = new Deno.Command("promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/** Sample lines by metric name (labels and value kept). */
function samplesOf(text: string, name: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

Deno.test({
  name: "a live /metrics after isolate-tier requests passes promtool and uses base units",
  ignore: promtool.ignore,
  async fn() {
    const t0 = performance.now();
    const kiln = await startAttackKiln();
    try {
      for (let i = 0; i < 5; i++) {
        const res = await kiln.fetch(BYSTANDER_PATH);
        assert.equal(res.status, 200, await res.text());
      }
      // A 404 adds an error-outcome series beside the ok one.
      await (await kiln.fetch("/apps/bystander/nope")).body?.cancel();
      const res = await kiln.fetch("/metrics", {
        headers: { authorization: `Bearer ${ATTACK_TOKEN}` },
      });
      assert.equal(res.status, 200);
      const text = await res.text();

      const check = await promtoolCheck(text);
      assert.equal(check.output, "", `promtool complains:\n${check.output}`);
      assert.equal(check.code, 0);

      // Label keys are snake_case everywhere; milliseconds never reach the exposition.
      for (const line of text.split("\n").filter((l) => l && !l.startsWith("#"))) {
        for (const [, key] of line.matchAll(/[{,]([A-Za-z_]+)="/g)) {
          assert.match(key, /^[a-z_]+$/, line);
        }
      }
      assert.doesNotMatch(text, /_ms(_bucket|_sum|_count)?[{ ]/);
      assert.match(text, /^# TYPE kiln_invocation_duration_seconds histogram$/m);
      const ok = 'app_id="bystander",component_id="ping",handler_type="jit",outcome="ok",' +
        'tier="isolate"';
      const count = samplesOf(text, "kiln_invocation_duration_seconds_count")
        .find((l) => l.includes(`{${ok}}`));
      assert.ok(count && Number(count.split(" ")[1]) >= 10, `${count}\n${text}`);
      const sum = samplesOf(text, "kiln_invocation_duration_seconds_sum")
        .find((l) => l.includes(`{${ok}}`))!;
      // The calls ran one after another inside this test: in seconds their durations add up to
      // less than its wall time (in milliseconds they would add up to a thousand times more).
      const elapsed = (performance.now() - t0) / 1000;
      assert.ok(Number(sum.split(" ")[1]) <= elapsed, `${sum} > ${elapsed} s`);
      const buckets = samplesOf(text, "kiln_invocation_duration_seconds_bucket")
        .filter((l) => l.includes(`{${ok},`));
      assert.equal(buckets.length, 19, "18 bounds and +Inf");

      assert.match(
        text,
        /^kiln_build_info\{version="[^"]+",deno_version="\d+\.\d+\.\d+[^"]*"\} 1$/m,
      );
      const value = (name: string) => Number(samplesOf(text, name)[0]?.split(" ").at(-1));
      assert.ok(value("process_resident_memory_bytes") > 20e6, "RSS in bytes");
      assert.ok(value("process_cpu_seconds_total") > 0);
      assert.ok(value("process_open_fds") > 3);
      const start = value("process_start_time_seconds");
      assert.ok(start > Date.now() / 1000 - 600 && start < Date.now() / 1000, String(start));
      const isolates = samplesOf(text, "kiln_sandbox_instances")
        .find((l) => l.includes('tier="isolate"'));
      assert.ok(isolates && Number(isolates.split(" ")[1]) >= 1, `open isolate sandboxes\n${text}`);
    } finally {
      await kiln.stop();
    }
  },
});
