/**
 * Paired rounds: every throughput server stays up, and each round loads each of them in turn for
 * a few seconds, the order rotating from round to round. On a shared machine a server's rate
 * swings by 2× between runs a minute apart (workerd's moved between 7,300 and 14,200 req/s), so a
 * ratio of two single runs says as much about that minute as about the servers; ratios taken
 * within one round, seconds apart, and their median over many rounds say more.
 */
import { BODY, check } from "./apps.ts";
import { median, threadCpuS, treeCpuS } from "./procs.ts";
import { wrk } from "./wrk.ts";

export interface RoundTarget {
  name: string;
  url: string;
  connections: number;
  /** Kiln's pid: its CPU per request is measured, and its workers refilled after each load. */
  kilnPid?: number;
}

export interface RoundsRow {
  name: string;
  /** Per round, in round order. */
  rps: number[];
  p99: number[];
  cpuUsPerRequest: number[];
  mainUsPerRequest: number[];
  /** This server's rate over the reference's in the same round, per round. */
  vsWorkerd: number[];
  vsBare: number[];
  /** Against the isolate design's floor (`floor.ts`), when it runs. */
  vsFloor: number[];
}

export interface RoundsSummary {
  rounds: number;
  seconds: number;
  load: string;
  rows: RoundsRow[];
}

/** Loads each target `seconds` per round for `rounds` rounds; ratios are per round. */
export async function pairedRounds(
  targets: RoundTarget[],
  rounds: number,
  seconds: number,
  log: (line: string) => void,
): Promise<RoundsRow[]> {
  const rows = targets.map((t): RoundsRow => ({
    name: t.name,
    rps: [],
    p99: [],
    cpuUsPerRequest: [],
    mainUsPerRequest: [],
    vsWorkerd: [],
    vsBare: [],
    vsFloor: [],
  }));
  // Servers warmed a while ago (bare and workerd, before Kiln started) warm again, unrecorded.
  for (const t of targets) {
    await wrk(t.url, { body: BODY, connections: t.connections, durationS: 2 });
    if (t.kilnPid !== undefined) {
      await Promise.all(Array.from({ length: t.connections }, () => check(t.url)));
    }
  }
  for (let round = 0; round < rounds; round++) {
    const rates = new Map<string, number>();
    for (let k = 0; k < targets.length; k++) {
      const i = (round + k) % targets.length;
      const t = targets[i];
      const pid = t.kilnPid;
      const cpu0 = pid === undefined ? 0 : treeCpuS(pid);
      const main0 = pid === undefined ? 0 : threadCpuS(pid);
      const r = await wrk(t.url, { body: BODY, connections: t.connections, durationS: seconds });
      const per = (s: number) => Math.round(s * 1e6 / Math.max(1, r.requests));
      rows[i].rps.push(r.rps);
      rows[i].p99.push(r.p99);
      if (pid !== undefined) {
        rows[i].cpuUsPerRequest.push(per(treeCpuS(pid) - cpu0));
        rows[i].mainUsPerRequest.push(per(threadCpuS(pid) - main0));
        // wrk's end drops the requests in flight: refill the workers those runs held.
        await Promise.all(Array.from({ length: t.connections }, () => check(t.url)));
      }
      rates.set(t.name, r.rps);
    }
    const workerd = [...rates].find(([n]) => n.startsWith("workerd"))?.[1];
    const bare = [...rates].find(([n]) => n.startsWith("bare"))?.[1];
    const floor = [...rates].find(([n]) => n.startsWith("floor"))?.[1];
    for (const row of rows) {
      const rps = rates.get(row.name)!;
      if (workerd) row.vsWorkerd.push(rps / workerd);
      if (bare) row.vsBare.push(rps / bare);
      if (floor) row.vsFloor.push(rps / floor);
    }
    log(
      `  round ${round + 1}: ` +
        rows.map((r) => `${r.name} ${r.rps.at(-1)!.toFixed(0)}`).join(", "),
    );
  }
  return rows;
}

/** The table of a rounds run: medians, and each ratio's median with its range. */
export function printRounds(s: RoundsSummary): void {
  const f = (xs: number[], d = 0) => xs.length ? median(xs).toFixed(d) : "-";
  const range = (xs: number[]) =>
    xs.length
      ? `${median(xs).toFixed(3)} (${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)})`
      : "-";
  console.log(
    `paired rounds: ${s.rounds} × ${s.seconds} s per server, order rotating; load ${s.load}`,
  );
  console.log(
    "server                      req/s   p99 ms  CPU µs/req  main µs/req  vs bare (range)          vs workerd (range)",
  );
  for (const r of s.rows) {
    console.log(
      `${r.name.padEnd(26)} ${f(r.rps).padStart(6)} ${f(r.p99, 2).padStart(8)} ${
        f(r.cpuUsPerRequest).padStart(11)
      } ${f(r.mainUsPerRequest).padStart(12)}  ${range(r.vsBare).padEnd(24)} ${range(r.vsWorkerd)}`,
    );
  }
  for (const r of s.rows) {
    if (!r.name.startsWith("kiln") || !r.vsWorkerd.length) continue;
    console.log(
      `${r.name} vs workerd per round: ${r.vsWorkerd.map((x) => x.toFixed(2)).join(" ")}`,
    );
    if (r.vsFloor.length) {
      console.log(
        `${r.name} vs floor: ${range(r.vsFloor)}; per round: ${
          r.vsFloor.map((x) => x.toFixed(2)).join(" ")
        }`,
      );
    }
  }
}
