/**
 * How long registering and pushing a large app holds Kiln's main thread: a real `kiln serve`, a
 * bystander probed back to back (its longest wait is the longest stall), and the main thread's
 * CPU time from `/proc/PID/task/PID/stat` around each operation.
 *
 * Per run: registering a directory of `--push-files` files of ~1 MB, a JSON body with one 1 MB
 * file, and a stock `git push` of `--push-files` such files; `--cpu-prof DIR` profiles Kiln.
 *
 *   deno run -A bench/commit_stall_bench.ts [--runs 3] [--push-files 12] [--cpu-prof DIR]
 */
import { parseArgs } from "node:util";
import { LIMITS } from "../src/core/mod.ts";
import { ATTACK_TOKEN, bystanderApp, probe } from "../tests/_support/attack.ts";
import { spawnServer } from "../tests/_support/process.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    "push-files": { type: "string", default: "12" },
    /** A directory for `--cpu-prof` profiles of Kiln. */
    "cpu-prof": { type: "string" },
  },
});
const runs = Number(values.runs);
const pushFiles = Number(values["push-files"]);
const TICK_MS = 1000 / 100;

function mainThreadCpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

const ENCODER = new TextEncoder();

/** Text just under `definition.bytes`: varied lines (some non-ASCII), so deflate and decoding have real work. */
function bigText(seed: number): string {
  const lines = [];
  for (let i = 0, size = 0; size < LIMITS["definition.bytes"] - 200; i++) {
    const line = `export const v${seed}_${i} = "${(i * 2654435761 % 1e9).toString(36)}"; // é ✓\n`;
    size += ENCODER.encode(line).length;
    lines.push(line);
  }
  return lines.join("");
}

const load = () => Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
const git = async (args: string[], cwd?: string) => {
  const out = await new Deno.Command("git", {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" },
  }).output();
  if (!out.success) {
    throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
};

const work = await Deno.makeTempDir({ prefix: "kiln-stall-" });
const prof = values["cpu-prof"];
const server = await spawnServer(["--port", "0", "--data-dir", `${work}/data`, "--no-example"], {
  env: {
    KILN_ADMIN_TOKEN: ATTACK_TOKEN,
    KILN_LOG_LEVEL: "error",
  },
  permissions: ["--allow-all", ...(prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : [])],
});
const pid = server.pid;
const kiln = {
  url: server.url,
  async api(method: string, path: string, body?: unknown) {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ATTACK_TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  },
};
try {
  if ((await kiln.api("POST", "/v1/apps", { files: bystanderApp() })).status !== 201) {
    throw new Error("the bystander did not register");
  }
  for (let i = 0; i < 5; i++) await (await fetch(`${server.url}/apps/bystander/ping`)).text();
  console.log(`load average at start ${load()}`);
  const base = {
    "app_definition.yaml": "appId: APP\ndisplayName: big\nversion: 1.0.0\n",
    "component_registry.yaml": "components: []\n",
  };
  const measure = async (label: string, op: () => Promise<void>) => {
    await new Promise((r) => setTimeout(r, 500));
    const p = probe(kiln.url);
    await new Promise((r) => setTimeout(r, 200));
    const cpu0 = mainThreadCpuMs(pid);
    const t0 = performance.now();
    await op();
    const ms = performance.now() - t0;
    const cpu = mainThreadCpuMs(pid) - cpu0;
    await new Promise((r) => setTimeout(r, 300));
    const r = await p.stop();
    console.log(
      `${label.padEnd(28)} ${ms.toFixed(0).padStart(6)} ms  main-thread CPU ${
        cpu.toFixed(0).padStart(5)
      } ms  bystander max ${r.max.toFixed(0).padStart(5)} ms p99 ${
        r.p99.toFixed(0).padStart(5)
      } p50 ${r.p50.toFixed(1)} (${r.count} calls, ${r.failures.length} failed)`,
    );
  };
  for (let run = 0; run < runs; run++) {
    const appId = `dir${run}`;
    const dir = `${work}/${appId}`;
    await Deno.mkdir(`${dir}/state/code`, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/state/app_definition.yaml`,
      base["app_definition.yaml"].replace("APP", appId),
    );
    await Deno.writeTextFile(`${dir}/state/component_registry.yaml`, "components: []\n");
    for (let i = 0; i < pushFiles; i++) {
      await Deno.writeTextFile(`${dir}/state/code/f${i}.ts`, bigText(run * 100 + i + 50));
    }
    await measure(`register dir ${pushFiles} x 1 MB (${appId})`, async () => {
      const res = await kiln.api("POST", "/v1/apps", { directory: dir });
      if (res.status !== 201) throw new Error(JSON.stringify(res.json));
    });
  }
  for (let run = 0; run < runs; run++) {
    const appId = `big${run}`;
    await measure(`register 1 MB file (${appId})`, async () => {
      const res = await kiln.api("POST", "/v1/apps", {
        files: {
          ...base,
          "app_definition.yaml": base["app_definition.yaml"].replace("APP", appId),
          "code/big.ts": bigText(run),
        },
      });
      if (res.status !== 201) throw new Error(JSON.stringify(res.json));
    });
  }
  for (let run = 0; run < runs; run++) {
    const appId = `push${run}`;
    const res = await kiln.api("POST", "/v1/apps", {
      files: { ...base, "app_definition.yaml": base["app_definition.yaml"].replace("APP", appId) },
    });
    if (res.status !== 201) throw new Error(JSON.stringify(res.json));
    const dir = `${work}/${appId}`;
    await git(["clone", "-q", res.json.repository, dir]);
    await Deno.mkdir(`${dir}/state/code`, { recursive: true });
    for (let i = 0; i < pushFiles; i++) {
      await Deno.writeTextFile(`${dir}/state/code/f${i}.ts`, bigText(run * 100 + i));
    }
    await git(["add", "-A"], dir);
    await git(["-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", "big"], dir);
    await measure(`git push ${pushFiles} x 1 MB (${appId})`, async () => {
      await git(["push", "-q", "origin", "HEAD:main"], dir);
      // Kiln takes the pushed revision up after the hook: wait until it serves it.
      for (let i = 0; i < 400; i++) {
        const got = await kiln.api("GET", `/v1/apps/${appId}`);
        if (got.json?.revision && got.json.revision !== res.json.revision) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error("the push was not taken up");
    });
  }
  console.log(`load average at end ${load()}`);
} finally {
  await server.stop();
  await Deno.remove(work, { recursive: true });
}
