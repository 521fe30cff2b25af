/**
 * Tenant isolation of storing an app: registering or pushing megabytes of definitions means
 * hashing, deflating, inflating and decoding every file, tens of milliseconds of CPU per
 * megabyte. That work is sliced (src/state/_sliced.ts), so while one app stores a large
 * revision every other app keeps being served.
 */
import assert from "node:assert/strict";
import { LIMITS } from "../src/core/mod.ts";
import {
  ATTACK_TOKEN,
  type AttackKiln,
  fetchJson,
  startAttackKiln,
  underAttack,
} from "./_support/attack.ts";
import { assertFsckClean, git } from "./_support/git.ts";

/** Files of just under `definition.bytes` each. */
const FILES = 12;
/**
 * The bystander's longest wait while the large app is stored ("well under a second"); its p99
 * is held to `BYSTANDER_P99_MS` by `underAttack`. Sliced, the longest wait measured 60-250 ms at
 * load 6-10 (docs/performance.md).
 */
const MAX_STALL_MS = 1_000;

/** Just under `definition.bytes` of TypeScript, non-ASCII included, different for each seed. */
function bigScript(seed: number): string {
  const lines = [];
  for (let i = 0, size = 0; size < LIMITS["definition.bytes"] - 400; i++) {
    const line = `export const v${seed}_${i} = "${(i * 2654435761 % 1e9).toString(36)}"; // é ✓\n`;
    size += new TextEncoder().encode(line).length;
    lines.push(line);
  }
  return lines.join("");
}

async function writeApp(dir: string, appId: string): Promise<Map<string, string>> {
  const files = new Map<string, string>([
    ["app_definition.yaml", `appId: ${appId}\ndisplayName: ${appId}\nversion: 1.0.0\n`],
    ["component_registry.yaml", "components: []\n"],
  ]);
  for (let i = 0; i < FILES; i++) files.set(`code/f${i}.ts`, bigScript(i));
  await Deno.mkdir(`${dir}/state/code`, { recursive: true });
  for (const [path, text] of files) await Deno.writeTextFile(`${dir}/state/${path}`, text);
  return files;
}

/** The stored files are the ones given, byte for byte, and the repo is sound. */
async function assertStored(kiln: AttackKiln, appId: string, files: Map<string, string>) {
  const repo = `${kiln.dataDir}/apps/${appId}.git`;
  await assertFsckClean(repo);
  for (const [path, text] of files) {
    const stored = await git(["--git-dir", repo, "show", `main:state/${path}`]);
    assert.ok(stored === text, `state/${path} is stored as given`);
  }
}

/**
 * Waits out what starting Kiln and warming the bystander leave running: the isolate tier spawns a
 * spare host 2 s after an app's first run, and spawning holds Kiln's main thread for 50-200 ms
 * under load. That is not the work under test here.
 */
const settle = () => new Promise((r) => setTimeout(r, 3_000));

function assertNoStall(
  bystander: { max: number; p99: number; p50: number; count: number },
  what: string,
) {
  console.log(
    `bystander ${what}: p50 ${bystander.p50.toFixed(1)} ms, p99 ${bystander.p99.toFixed(0)} ms, ` +
      `max ${bystander.max.toFixed(0)} ms (${bystander.count} calls; load ${
        Deno.loadavg()[0].toFixed(1)
      })`,
  );
  assert.ok(
    bystander.max < MAX_STALL_MS,
    `the bystander waited ${bystander.max.toFixed(0)} ms (${bystander.count} calls) ${what}`,
  );
}

Deno.test("registering a large app over HTTP leaves other apps served", async () => {
  const kiln = await startAttackKiln();
  const work = await Deno.makeTempDir({ prefix: "kiln-large-app-" });
  try {
    const files = await writeApp(work, "large");
    await settle();
    const { result, bystander } = await underAttack(
      kiln,
      () => kiln.api("POST", "/v1/apps", { directory: work }),
    );
    assert.equal(result.status, 201, JSON.stringify(result.json));
    assertNoStall(bystander, `while ${FILES} MB registered`);
    await assertStored(kiln, "large", files);
    const read = await kiln.api("GET", "/v1/apps/large/definitions/file?path=code/f3.ts");
    assert.equal(read.status, 200, JSON.stringify(read.json));
    assert.equal(read.json.content, files.get("code/f3.ts"));
  } finally {
    await Deno.remove(work, { recursive: true });
    await kiln.stop();
  }
});

Deno.test("a git push of a large app leaves other apps served", async () => {
  const kiln = await startAttackKiln();
  const work = await Deno.makeTempDir({ prefix: "kiln-large-push-" });
  try {
    const reg = await kiln.api("POST", "/v1/apps", {
      files: {
        "app_definition.yaml": "appId: pushed\ndisplayName: pushed\nversion: 1.0.0\n",
        "component_registry.yaml": "components: []\n",
      },
    });
    assert.equal(reg.status, 201, JSON.stringify(reg.json));
    const dir = `${work}/pushed`;
    await git(["clone", "-q", reg.json.repository, dir]);
    const files = await writeApp(dir, "pushed");
    await git(["add", "-A"], dir);
    await git(["commit", "-qm", "Twelve megabytes of code"], dir);
    const pushed = (await git(["rev-parse", "HEAD"], dir)).trim();
    await settle();
    const { bystander } = await underAttack(kiln, async () => {
      await git(["push", "-q", "origin", "HEAD:main"], dir);
      // After the hook accepts it, Kiln takes the revision up: reading it is part of the load.
      const until = Date.now() + 30_000;
      while ((await kiln.api("GET", "/v1/apps/pushed")).json.revision !== pushed) {
        assert.ok(Date.now() < until, "Kiln serves the pushed revision");
        await new Promise((r) => setTimeout(r, 25));
      }
    });
    assertNoStall(bystander, `while ${FILES} MB were pushed`);
    await assertStored(kiln, "pushed", files);
    assert.equal((await fetchJson(kiln, "/apps/bystander/ping")).status, 200);
  } finally {
    await Deno.remove(work, { recursive: true });
    await kiln.stop();
  }
});

Deno.test("uploading a large app as a gzipped tarball leaves other apps served", async () => {
  const kiln = await startAttackKiln();
  const work = await Deno.makeTempDir({ prefix: "kiln-large-tar-" });
  try {
    const files = await writeApp(`${work}/app`, "tarred");
    // Made by the stock tar: what a user uploads with `curl --data-binary @app.tgz`.
    const tar = await new Deno.Command("tar", {
      args: ["-czf", "-", "-C", `${work}/app`, "state"],
      stdout: "piped",
    }).output();
    assert.ok(tar.success);
    await settle();
    const { result, bystander } = await underAttack(kiln, async () => {
      const res = await fetch(`${kiln.url}/v1/apps`, {
        method: "POST",
        headers: { authorization: `Bearer ${ATTACK_TOKEN}`, "content-type": "application/gzip" },
        body: tar.stdout,
      });
      return { status: res.status, text: await res.text() };
    });
    assert.equal(result.status, 201, result.text);
    assertNoStall(bystander, `while ${FILES} MB were unpacked from a tarball`);
    await assertStored(kiln, "tarred", files);
  } finally {
    await Deno.remove(work, { recursive: true });
    await kiln.stop();
  }
});
