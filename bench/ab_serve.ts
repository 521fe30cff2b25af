/**
 * Two Kiln trees side by side: `kiln serve` from another checkout (the base) and from this one,
 * both up, loaded in paired rounds (`_serve/rounds.ts`). For a change whose effect is smaller than
 * the machine's swing between two `bench:serve` runs; its figures are per round, seconds apart.
 *
 *   git worktree add /tmp/base <rev> && ln -s "$PWD/node_modules" /tmp/base/node_modules
 *   deno run -A bench/ab_serve.ts /tmp/base [--tier wasm] [--rounds 12] [--duration 4]
 *
 * The base tree's own `bench/_serve/kiln.ts` starts its Kiln, so both run as `bench:serve` would
 * run each; half the rounds run with the base started first, half with this tree's (see
 * `session`). Needs `wrk` on the PATH.
 */
import { parseArgs } from "node:util";
import { check, type Tier, wordsApp } from "./_serve/apps.ts";
import type { KilnServer } from "./_serve/kiln.ts";
import { loadavg, median, waitQuiet } from "./_serve/procs.ts";
import { pairedRounds, type RoundTarget } from "./_serve/rounds.ts";

const args = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    tier: { type: "string", default: "wasm" },
    rounds: { type: "string", default: "12" },
    duration: { type: "string", default: "4" },
    connections: { type: "string", default: "32" },
  },
});
const baseTree = args.positionals[0];
if (!baseTree) throw new Error("usage: ab_serve.ts BASE_TREE [--tier wasm] [--rounds 12]");
const tier = args.values.tier as Tier;
const connections = Number(args.values.connections);
const log = (line: string) => console.error(line);

const trees = {
  base: new URL(`file://${Deno.realPathSync(baseTree)}/`),
  this: new URL("../", import.meta.url),
};
type Rows = Awaited<ReturnType<typeof pairedRounds>>;

/**
 * Starts both Kilns in `order`, loads them for `rounds` paired rounds, stops them. The Kiln
 * started second served 5–8 % less in a run of two identical trees (and the other way round with
 * the order swapped), so half the rounds run in each order.
 */
async function session(order: ("base" | "this")[], rounds: number): Promise<Rows> {
  const kilns: KilnServer[] = [];
  const targets = new Map<string, RoundTarget>();
  try {
    for (const name of order) {
      const tree = trees[name];
      const mod = await import(new URL("bench/_serve/kiln.ts", tree).href);
      const kiln: KilnServer = await mod.startKiln({ logLevel: "error" });
      kilns.push(kiln);
      await mod.register(kiln, wordsApp("bench", [tier]));
      const url = `${kiln.url}/apps/bench/words-${tier}`;
      await check(url);
      targets.set(name, { name, url, connections, kilnPid: kiln.pid });
      log(`  ${name}: ${kiln.url} (pid ${kiln.pid}, ${tree.pathname}), started ${kilns.length}`);
    }
    for (const kiln of kilns) await waitQuiet(kiln.pid);
    const pair = [targets.get("base")!, targets.get("this")!];
    return await pairedRounds(pair, rounds, Number(args.values.duration), log);
  } finally {
    for (const kiln of kilns) await kiln.stop();
  }
}

{
  const load = loadavg();
  const total = Number(args.values.rounds);
  const first = await session(["base", "this"], Math.ceil(total / 2));
  const second = await session(["this", "base"], Math.floor(total / 2));
  const rows = first.map((row, i) => {
    const more = second[i];
    return {
      ...row,
      rps: [...row.rps, ...more.rps],
      p99: [...row.p99, ...more.p99],
      cpuUsPerRequest: [...row.cpuUsPerRequest, ...more.cpuUsPerRequest],
      mainUsPerRequest: [...row.mainUsPerRequest, ...more.mainUsPerRequest],
    };
  });
  const [base, next] = rows;
  const ratios = next.rps.map((r, i) => r / base.rps[i]);
  const cpu = next.cpuUsPerRequest.map((c, i) => c / base.cpuUsPerRequest[i]);
  const main = next.mainUsPerRequest.map((c, i) => c / base.mainUsPerRequest[i]);
  console.log(
    `${tier}, ${
      rows[0].rps.length
    } rounds × ${args.values.duration} s each; load ${load} → ${loadavg()}`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(5)} req/s ${median(r.rps).toFixed(0)}, p99 ${
        median(r.p99).toFixed(2)
      } ms, ` +
        `CPU ${median(r.cpuUsPerRequest)} µs/req, main ${median(r.mainUsPerRequest)} µs/req`,
    );
  }
  const f = (xs: number[]) =>
    `median ${median(xs).toFixed(3)} (${Math.min(...xs).toFixed(2)}–${
      Math.max(...xs).toFixed(2)
    }), ` +
    `above 1 in ${xs.filter((x) => x > 1).length} of ${xs.length}`;
  console.log(`this ÷ base per round: req/s ${f(ratios)}`);
  console.log(`                      CPU/req ${f(cpu)}`);
  console.log(`                      main/req ${f(main)}`);
}
Deno.exit(0);
