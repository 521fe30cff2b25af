/**
 * CPU per request by process and thread while `wrk` loads one URL: which threads of a server's
 * process tree the requests cost. Threads are grouped by process (the server, each child) and by
 * name (`main`, Deno's `worker-N`, V8's and tokio's helpers together as `other`).
 *
 *   deno run -A bench/_serve/threads.ts            # the floor and Kiln's isolate tier, in turn
 */
import { BODY, check, wordsApp } from "./apps.ts";
import { startFloor } from "./floor.ts";
import { register, startKiln } from "./kiln.ts";
import { cpuS, loadavg, processTree, threadsOf, waitQuiet } from "./procs.ts";
import { wrk } from "./wrk.ts";

/**
 * CPU seconds per `process thread-group`. Workers are what the process used less its live main
 * and helper threads: the process's own count keeps the time of threads that ended (a worker
 * retired during the load), which a sum over live threads would lose.
 */
function sample(root: number): Map<string, number> {
  const out = new Map<string, number>();
  const add = (key: string, s: number) => out.set(key, (out.get(key) ?? 0) + s);
  for (const pid of processTree(root)) {
    const role = pid === root ? "server" : "child";
    let named = 0;
    for (const t of threadsOf(pid)) {
      if (t.tid !== pid && t.name.startsWith("worker")) continue;
      add(`${role} ${t.tid === pid ? "main" : "other"}`, t.cpuS);
      named += t.cpuS;
    }
    add(`${role} workers`, Math.max(0, cpuS(pid) - named));
  }
  return out;
}

async function measure(name: string, url: string, pid: number, seconds = 6): Promise<void> {
  await wrk(url, { body: BODY, connections: 32, durationS: 2 });
  await Promise.all(Array.from({ length: 32 }, () => check(url)));
  await waitQuiet(pid);
  const before = sample(pid);
  const r = await wrk(url, { body: BODY, connections: 32, durationS: seconds });
  const after = sample(pid);
  const rows = [...after].map(([k, v]) =>
    [k, (v - (before.get(k) ?? 0)) * 1e6 / r.requests] as const
  )
    .filter(([, us]) => us >= 0.5).sort();
  const total = rows.reduce((a, [, us]) => a + us, 0);
  console.log(
    `${name}: ${r.rps.toFixed(0)} req/s, ${total.toFixed(0)} CPU µs/req (load ${loadavg()})`,
  );
  for (const [k, us] of rows) console.log(`  ${k.padEnd(16)} ${us.toFixed(0).padStart(5)} µs/req`);
}

const floor = await startFloor();
const kiln = await startKiln({ containers: "off" });
try {
  await register(kiln, wordsApp("bench", ["isolate"]));
  for (let i = 0; i < 2; i++) {
    await measure("floor", `${floor.url}/`, floor.pid);
    await measure("kiln isolate", `${kiln.url}/apps/bench/words-isolate`, kiln.pid);
  }
} finally {
  await floor.stop();
  await kiln.stop();
}
Deno.exit(0);
