/**
 * Fuzzes `git push`: each case changes a clone of the fuzz app's repository at random — files
 * with odd names (look-alike dots, bidi controls, `.gitmodules`, deep directories), YAML and
 * binary content, large and highly compressible files, symlinks, many files, long commit
 * messages — commits with the stock `git` CLI and pushes to the app's bare repository. Kiln must
 * take each pushed head (serve it, or keep serving the last valid revision and say why) without
 * a server error, within the budget, and the app must keep answering, while a bystander app
 * keeps its latency.
 */
import assert from "node:assert/strict";
import { startAttackKiln, underAttack } from "./_support/attack.ts";
import { fuzzFor, fuzzSeed, noServerError, randomString, type Rng } from "./_support/fuzz.ts";
import { git } from "./_support/git.ts";

const FILES = {
  "app_definition.yaml": "appId: fuzz\ndisplayName: fuzz\nversion: 1.0.0\n",
  "component_registry.yaml": `components:
  - componentId: echo
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/echo.ts, function: echo, language: typescript }
    routeMatcher: { pathPattern: /echo, methods: [GET] }
`,
  "code/echo.ts": "export function echo() { return { ok: true }; }\n",
};

const NAMES = [
  "notes.yaml",
  "prompts/p.yaml",
  "workflows/w.yaml",
  "schemas/s.schema.json",
  "code/x.ts",
  ".gitmodules",
  "‥/x.yaml",
  "．．/x.yaml",
  "a\u202eb.yaml",
  "deep/".repeat(40) + "f.yaml",
  "component_registry.yaml",
  "app_definition.yaml",
];

async function mutateTree(rng: Rng, dir: string): Promise<string> {
  const state = `${dir}/state`;
  const what: string[] = [];
  for (let i = rng.int(1, 3); i > 0; i--) {
    const kind = rng.int(0, 7);
    const name = rng.chance(0.7)
      ? rng.pick(NAMES)
      : `${randomString(rng).replace(/[\/\0]/g, "_") || "x"}.yaml`;
    const path = `${state}/${name}`.toWellFormed();
    try {
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      if (kind === 0) { // a big, highly compressible file
        const size = rng.pick([2 << 20, 20 << 20, 60 << 20]);
        await Deno.writeFile(path, new Uint8Array(size));
        what.push(`${size} zero bytes at ${name}`);
      } else if (kind === 1) { // binary noise
        await Deno.writeFile(path, crypto.getRandomValues(new Uint8Array(rng.int(1, 60_000))));
        what.push(`binary ${name}`);
      } else if (kind === 2) { // many small files
        const n = rng.pick([100, 3_000]);
        await Deno.mkdir(`${state}/many`, { recursive: true });
        for (let f = 0; f < n; f++) {
          await Deno.writeTextFile(`${state}/many/f${f}.yaml`, `n: ${f}\n`);
        }
        what.push(`${n} files`);
      } else if (kind === 3) { // a symlink out of the tree
        await Deno.remove(path).catch(() => {});
        await Deno.symlink(rng.pick(["/etc/passwd", "../../..", "code/echo.ts"]), path);
        what.push(`symlink ${name}`);
      } else if (kind === 4) { // YAML with many keys
        const n = rng.pick([100, 40_000]);
        await Deno.writeTextFile(
          path,
          Array.from({ length: n }, (_, k) => `k${k}: ${k}`).join("\n"),
        );
        what.push(`${n} keys at ${name}`);
      } else if (kind === 5) { // deep YAML
        await Deno.writeTextFile(path, `x: ${"[".repeat(rng.pick([100, 200_000]))}\n`);
        what.push(`deep ${name}`);
      } else if (kind === 6) { // remove something
        await Deno.remove(path, { recursive: true }).catch(() => {});
        what.push(`rm ${name}`);
      } else {
        await Deno.writeTextFile(path, randomString(rng));
        what.push(`text ${name}`);
      }
    } catch (err) {
      what.push(`(${name}: ${(err as Error).message.slice(0, 60)})`);
    }
  }
  return what.join(", ");
}

Deno.test("fuzz: git pushes never cause a server error or a stall", async () => {
  const kiln = await startAttackKiln();
  const work = await Deno.makeTempDir({ prefix: "kiln-fuzz-push-" });
  try {
    await kiln.register(FILES);
    const repo = `${kiln.dataDir}/apps/fuzz.git`;
    const { result } = await underAttack(kiln, () =>
      fuzzFor(
        { seed: fuzzSeed(1606), ms: 12_000, minCases: 6, budgetMs: 3_000 },
        async (rng, i) => {
          const dir = `${work}/c${i}`;
          await git(["clone", "-q", repo, dir]);
          const what = await mutateTree(rng, dir);
          const message = rng.chance(0.2) ? "m".repeat(rng.pick([70_000, 5_000_000])) : "fuzz";
          await Deno.writeTextFile(`${dir}/.msg`, message);
          // Stock git refuses some names itself (e.g. a symlinked .gitmodules); add the rest.
          await git(["add", "-A", "--ignore-errors", "state"], dir).catch(() => {});
          await git(["commit", "-q", "--allow-empty", "-F", ".msg"], dir);
          try {
            await git(["push", "-q", "origin", "HEAD:main"], dir);
          } catch (err) {
            // A push stock git itself refused (e.g. receive limits) is a fine outcome.
            await Deno.remove(dir, { recursive: true });
            return { label: what, status: 200, ms: 0, body: `push refused: ${err}` };
          }
          await Deno.remove(dir, { recursive: true });
          const started = performance.now();
          const sync = await kiln.api("POST", "/v1/apps/fuzz/sync");
          const history = await kiln.api("GET", "/v1/apps/fuzz/definitions/history?limit=5");
          const ms = performance.now() - started;
          const echo = await kiln.fetch("/apps/fuzz/echo");
          await echo.body?.cancel();
          const status = Math.max(sync.status, history.status, echo.status === 200 ? 200 : 500);
          const body = JSON.stringify({ sync: sync.json, echo: echo.status }).slice(0, 400) +
            ` history ${JSON.stringify(history.json).length} chars`;
          return { label: what, status, ms, body };
        },
        noServerError,
      ));
    console.log(
      `fuzz git push: ${result.cases} cases, slowest ${result.slowest.toFixed(0)} ms, statuses ${
        JSON.stringify(result.statuses)
      }`,
    );
    const status = await kiln.api("GET", "/v1/apps/fuzz/status");
    assert.ok(["ACTIVE", "DEGRADED"].includes(status.json.status), JSON.stringify(status.json));
  } finally {
    await kiln.stop();
    await Deno.remove(work, { recursive: true });
  }
});
