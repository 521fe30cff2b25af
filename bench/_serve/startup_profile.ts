/**
 * CPU profiles of `kiln serve` start-ups: each run writes `DIR/runN/kiln/*.cpuprofile` and a
 * `windows.json` whose `startup` window runs from spawn to the first `/healthz` 200, so
 * `profile_summary.ts DIR/runN --window startup` shows where start-up time goes.
 *
 *   deno run -A bench/_serve/startup_profile.ts DIR [RUNS]
 */
import { startKiln } from "./kiln.ts";
import { monotonicUs } from "./procs.ts";

const [dir, runs = "3"] = Deno.args;
if (!dir) throw new Error("usage: startup_profile.ts DIR [RUNS]");
for (let i = 0; i < Number(runs); i++) {
  const runDir = `${dir}/run${i}`;
  await Deno.mkdir(runDir, { recursive: true });
  const startUs = monotonicUs();
  const kiln = await startKiln({ cpuProfDir: runDir });
  const endUs = monotonicUs();
  await Deno.writeTextFile(
    `${runDir}/windows.json`,
    JSON.stringify([{ name: "startup", startUs, endUs, requests: 1 }]),
  );
  console.log(`run ${i}: ${kiln.readyMs.toFixed(0)} ms, CPU ${kiln.readyCpuMs.toFixed(0)} ms`);
  await kiln.stop();
}
