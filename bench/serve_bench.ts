/**
 * The serving path side by side, in one run, measured by `wrk` (a native load generator: a client
 * in the same runtime would cap the server it measures). Every server answers the same POST of a
 * small JSON body with the same word count:
 *
 * - bare `Deno.serve` in its own process (the limit);
 * - `kiln serve` in its own process, the function as a component on the isolate tier and on the
 *   wasm tier.
 *
 * `deno task bench:serve [--duration 8] [--connections 32]`; needs `wrk` on the PATH. Prints
 * req/s, p50 and p99 per server, the ratios against bare Deno, and the load average.
 */
import { parseArgs } from "node:util";

const args = parseArgs({
  args: import.meta.main ? Deno.args : [],
  options: {
    duration: { type: "string", default: "8" },
    connections: { type: "string", default: "32" },
    only: { type: "string" },
  },
});
const DURATION = Number(args.values.duration);
const CONNECTIONS = Number(args.values.connections);
const MAIN = new URL("../src/main.ts", import.meta.url).pathname;
const TOKEN = "bench-admin-token-0123456789abcdef";
const BODY = JSON.stringify({ text: "the quick brown fox jumps over the lazy dog" });

function wordCount(requestData: { httpDetails?: { body?: string } }) {
  const { text } = JSON.parse(requestData.httpDetails?.body ?? "{}");
  return { words: String(text ?? "").split(/\s+/).filter(Boolean).length };
}

const BARE = `
const wordCount = ${wordCount.toString()};
Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: ({ port }) => console.log("listening on http://127.0.0.1:" + port) },
  async (req) => Response.json(wordCount({ httpDetails: { body: await req.text() } })));
`;

const registry = `components:
${
  ["isolate", "wasm"].map((runtime) =>
    `  - componentId: words-${runtime}
    handlerType: jit
    runtime: ${runtime}
    trust: trusted
    taskDetails: { script: code/words.ts, function: wordCount, language: typescript }
    routeMatcher: { pathPattern: /words-${runtime}, methods: [POST] }
`
  ).join("")
}`;

interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function spawn(args: string[], env: Record<string, string> = {}): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
    const url = /listening on (\S+)/.exec(seen)?.[1];
    if (url) {
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })();
      return {
        url,
        pid: child.pid,
        async stop() {
          child.kill("SIGTERM");
          await child.status;
        },
      };
    }
  }
  child.kill("SIGKILL");
  throw new Error(`server did not start: ${seen}`);
}

async function wrk(url: string): Promise<{ rps: number; p50: number; p99: number }> {
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  await Deno.writeTextFile(
    script,
    `wrk.method = "POST"\nwrk.body = ${JSON.stringify(BODY)}\n` +
      `wrk.headers["Content-Type"] = "application/json"\n`,
  );
  const out = await new Deno.Command("wrk", {
    args: ["-t1", `-c${CONNECTIONS}`, `-d${DURATION}s`, "--latency", "-s", script, url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(script);
  const text = new TextDecoder().decode(out.stdout);
  const ms = (label: string) => {
    const m = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
  };
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  if (non2xx) throw new Error(`${url}: ${non2xx[1]} failed responses\n${text}`);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN),
    p50: ms("50"),
    p99: ms("99"),
  };
}

async function check(url: string): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    body: BODY,
    headers: { "content-type": "application/json" },
  });
  const body = await res.text();
  if (res.status !== 200 || !body.includes('"words":9')) {
    throw new Error(`${url}: ${res.status} ${body}`);
  }
}

async function main(): Promise<void> {
  const results: { name: string; rps: number; p50: number; p99: number }[] = [];
  const bareFile = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(bareFile, BARE);
  const bare = await spawn(["run", "--allow-net", bareFile]);
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-bench-serve-" });
  const kiln = await spawn(
    ["run", "--allow-all", MAIN, "serve", "--port", "0", "--data-dir", dataDir, "--no-example"],
    { KILN_ADMIN_TOKEN: TOKEN, KILN_LOG_LEVEL: "error", KILN_CONTAINERS: "off" },
  );
  try {
    const reg = await fetch(`${kiln.url}/v1/apps`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        files: {
          "app_definition.yaml": "appId: bench\ndisplayName: bench\nversion: 1.0.0\n",
          "component_registry.yaml": registry,
          "code/words.ts": `export ${wordCount.toString()}\n`,
        },
      }),
    });
    if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
    const targets = [
      { name: "bare Deno.serve", url: `${bare.url}/` },
      { name: "kiln isolate", url: `${kiln.url}/apps/bench/words-isolate` },
      { name: "kiln wasm", url: `${kiln.url}/apps/bench/words-wasm` },
    ].filter((t) => !args.values.only || t.name.includes(args.values.only));
    for (const t of targets) {
      await check(t.url);
      await wrk(t.url); // warm-up
      results.push({ name: t.name, ...(await wrk(t.url)) });
    }
  } finally {
    await kiln.stop();
    await bare.stop();
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(bareFile);
  }

  const base = results.find((r) => r.name === "bare Deno.serve")?.rps;
  console.log(
    `wrk -t1 -c${CONNECTIONS} -d${DURATION}s, POST ${BODY.length} bytes; load average ${
      Deno.loadavg().map((n) => n.toFixed(2)).join(" ")
    }`,
  );
  console.log("server               req/s      p50 ms   p99 ms   vs bare");
  for (const r of results) {
    console.log(
      `${r.name.padEnd(20)} ${r.rps.toFixed(0).padStart(8)}  ${r.p50.toFixed(2).padStart(7)}  ${
        r.p99.toFixed(2).padStart(7)
      }   ${base ? (r.rps / base).toFixed(3) : "-"}`,
    );
  }
}

if (import.meta.main) await main();
