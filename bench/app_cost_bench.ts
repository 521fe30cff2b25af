/**
 * What one more app costs a running Kiln, measured on a real `kiln serve` in its own process:
 *
 * - the first request to a never-seen app, end to end (an app registered through the admin API
 *   with one isolate component, then its first POST), and its second request;
 * - resident memory of Kiln and its children (summed VmRSS, and PSS, which counts pages the
 *   processes share once) after each new app served its first request.
 *
 * Then a breakdown in this process, from the parts the first request goes through: a bare
 * `deno run` start, esbuild's first and a later bundle, an execution on a new app's host (process,
 * worker, module), on a new component of a warm host (worker, module) and a warm one.
 *
 * `deno run -A bench/app_cost_bench.ts [--apps 4] [--only e2e|parts]`
 */
import { parseArgs } from "node:util";

const args = parseArgs({
  args: import.meta.main ? Deno.args : [],
  options: {
    apps: { type: "string", default: "4" },
    only: { type: "string" },
    // Another checkout to measure (an A/B baseline), instead of this one.
    root: { type: "string" },
  },
});
const APPS = Number(args.values.apps);
const ROOT = args.values.root
  ? new URL(`file://${Deno.realPathSync(args.values.root)}/`)
  : new URL("../", import.meta.url);
const MAIN = new URL("src/main.ts", ROOT).pathname;
const { silentLogger } = await import(
  new URL("src/core/mod.ts", ROOT).href
) as typeof import("../src/core/mod.ts");
const { bundleEsm } = await import(
  new URL("src/bundler/mod.ts", ROOT).href
) as typeof import("../src/bundler/mod.ts");
const { IsolateTier, DEFAULT_LIMITS } = await import(
  new URL("src/sandbox/mod.ts", ROOT).href
) as typeof import("../src/sandbox/mod.ts");
const { executeRequest, guestCode, RecordingHost } = await import(
  new URL("src/sandbox/tier_common_case.ts", ROOT).href
) as typeof import("../src/sandbox/tier_common_case.ts");
const TOKEN = "bench-admin-token-0123456789abcdef";
const BODY = JSON.stringify({ text: "the quick brown fox jumps over the lazy dog" });

function wordCount(requestData: { httpDetails?: { body?: string } }) {
  const { text } = JSON.parse(requestData.httpDetails?.body ?? "{}");
  return { words: String(text ?? "").split(/\s+/).filter(Boolean).length };
}

const REGISTRY = `components:
  - componentId: words
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/words.ts, function: wordCount, language: typescript }
    routeMatcher: { pathPattern: /words, methods: [POST] }
`;

/** Pids of `root` and every process below it. */
function tree(root: number): number[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const task of Deno.readDirSync(`/proc/${out[i]}/task`)) {
        const kids = Deno.readTextFileSync(`/proc/${out[i]}/task/${task.name}/children`).trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      }
    } catch { /* exited */ }
  }
  return out;
}

/** Summed VmRSS and PSS of a process tree, in MB. */
function memory(root: number, pids = tree(root)): { rss: number; pss: number; procs: number } {
  let rss = 0, pss = 0, procs = 0;
  for (const pid of pids) {
    try {
      const status = Deno.readTextFileSync(`/proc/${pid}/status`);
      rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const rollup = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
      pss += Number(/Pss:\s+(\d+)/.exec(rollup)?.[1] ?? 0);
      procs++;
    } catch { /* exited */ }
  }
  return { rss: rss / 1024, pss: pss / 1024, procs };
}

async function startKiln(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-bench-apps-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      MAIN,
      "serve",
      "--port",
      "0",
      "--data-dir",
      dataDir,
      "--no-example",
    ],
    env: { KILN_ADMIN_TOKEN: TOKEN, KILN_LOG_LEVEL: "error", KILN_CONTAINERS: "off" },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`kiln did not start: ${seen}`);
    seen += value;
    const url = /listening on (\S+)/.exec(seen)?.[1];
    if (!url) continue;
    (async () => {
      while (!(await reader.read()).done) { /* drain */ }
    })();
    return {
      url,
      pid: child.pid,
      async stop() {
        child.kill("SIGTERM");
        await child.status;
        await Deno.remove(dataDir, { recursive: true });
      },
    };
  }
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function post(url: string): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    body: BODY,
    headers: { "content-type": "application/json" },
  });
  const text = await res.text();
  if (res.status !== 200 || !text.includes('"words":9')) throw new Error(`${res.status} ${text}`);
}

async function endToEnd(): Promise<void> {
  const kiln = await startKiln();
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const idle = memory(kiln.pid);
    console.log(
      `kiln idle: RSS ${idle.rss.toFixed(0)} MB, PSS ${
        idle.pss.toFixed(0)
      } MB (${idle.procs} procs)`,
    );
    console.log("app   register ms  first ms  second ms  RSS MB (+)    PSS MB (+)   procs");
    let last = idle;
    let afterFirst = idle;
    for (let i = 1; i <= APPS; i++) {
      const appId = `app${i}`;
      const register = await timed(async () => {
        const res = await fetch(`${kiln.url}/v1/apps`, {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({
            files: {
              "app_definition.yaml": `appId: ${appId}\ndisplayName: ${appId}\nversion: 1.0.0\n`,
              "component_registry.yaml": REGISTRY,
              // Each app its own source, as real apps have.
              "code/words.ts": `// ${appId}\nexport ${wordCount.toString()}\n`,
            },
          }),
        });
        if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
        await res.body?.cancel();
      });
      // Registration may start background work; a caller's first request comes some time later.
      await new Promise((r) => setTimeout(r, 500));
      const url = `${kiln.url}/apps/${appId}/words`;
      const first = await timed(() => post(url));
      const second = await timed(() => post(url));
      await new Promise((r) => setTimeout(r, 500));
      const now = memory(kiln.pid);
      console.log(
        `${appId.padEnd(5)} ${register.toFixed(1).padStart(11)} ${first.toFixed(1).padStart(9)} ${
          second.toFixed(1).padStart(10)
        }  ${now.rss.toFixed(0).padStart(4)} (${(now.rss - last.rss).toFixed(1).padStart(5)})  ${
          now.pss.toFixed(0).padStart(4)
        } (${(now.pss - last.pss).toFixed(1).padStart(5)})  ${now.procs}`,
      );
      const each = tree(kiln.pid).map((pid) => {
        const m = memory(pid, [pid]);
        return `${m.rss.toFixed(0)}/${m.pss.toFixed(0)}`;
      });
      console.log(`      RSS/PSS MB by process, Kiln first: ${each.join(" ")}`);
      last = now;
      if (i === 1) afterFirst = now;
    }
    const n = APPS - 1;
    console.log(
      `per app, mean of apps 2..${APPS}: RSS +${
        ((last.rss - afterFirst.rss) / n).toFixed(1)
      } MB, ` +
        `PSS +${((last.pss - afterFirst.pss) / n).toFixed(1)} MB`,
    );
  } finally {
    await kiln.stop();
  }
}

async function parts(): Promise<void> {
  const script = `data:text/javascript,${encodeURIComponent("console.log('ready')")}`;
  const denoStart: number[] = [];
  for (let i = 0; i < 3; i++) {
    denoStart.push(
      await timed(async () => {
        await new Deno.Command(Deno.execPath(), {
          args: ["run", "--no-config", "--no-lock", "--quiet", script],
          clearEnv: true,
          stdout: "null",
        }).output();
      }),
    );
  }
  const source = (n: number) => `// ${n}\nexport ${wordCount.toString()}\n`;
  const read = (n: number) => (path: string) =>
    Promise.resolve(path === "code/words.ts" ? source(n) : null);
  const bundleFirst = await timed(async () => void await bundleEsm("code/words.ts", read(0)));
  const bundleLater = await timed(async () => void await bundleEsm("code/words.ts", read(1)));

  const tier = new IsolateTier({ logger: silentLogger });
  const run = (appId: string, componentId: string) =>
    timed(async () => {
      const request = executeRequest(appId, { n: 1 }, componentId);
      const res = await tier.execute({
        request,
        code: guestCode("return { ok: true };", "esm"),
        limits: DEFAULT_LIMITS,
        host: new RecordingHost(),
      });
      if (res.resultType === "error") throw new Error(JSON.stringify(res));
    });
  const newApp: number[] = [], newComponent: number[] = [], warm: number[] = [];
  for (let i = 0; i < 3; i++) {
    newApp.push(await run(`parts${i}`, "c"));
    newComponent.push(await run(`parts${i}`, "d"));
    warm.push(await run(`parts${i}`, "d"));
  }
  await tier.close();
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log("part                                        median ms (runs)");
  const row = (name: string, xs: number[]) =>
    console.log(
      `${name.padEnd(44)}${med(xs).toFixed(1).padStart(8)}  (${xs.map((x) => x.toFixed(0))})`,
    );
  row("bare `deno run` of a data: URL", denoStart);
  row("esbuild: first bundle in the process", [bundleFirst]);
  row("esbuild: a later bundle", [bundleLater]);
  row("isolate: new app (host process+worker+run)", newApp);
  row("isolate: new component, warm host (worker)", newComponent);
  row("isolate: warm run", warm);
}

if (import.meta.main) {
  console.log(`load average ${Deno.loadavg().map((n) => n.toFixed(2)).join(" ")}`);
  if (args.values.only !== "parts") await endToEnd();
  if (args.values.only !== "e2e") await parts();
  console.log(`load average ${Deno.loadavg().map((n) => n.toFixed(2)).join(" ")}`);
}
