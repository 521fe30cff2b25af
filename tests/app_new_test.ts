/**
 * `kiln app new` and `kiln app test` as an app author runs them: real CLI processes, a real Git
 * repository, the app's cases on a private Kiln's tiers (the container template on the real
 * Docker engine), then the same directory registered on a running `kiln serve`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DockerodeApi } from "../src/sandbox/container/dockerode_api.ts";
import { dockerAvailable } from "./_support/docker.ts";
import { kiln, spawnServer } from "./_support/process.ts";

const docker = await dockerAvailable(new DockerodeApi());

interface Report {
  appId: string;
  passed: number;
  failed: number;
  results: {
    file: string;
    name: string;
    kind: string;
    ok: boolean;
    tier?: string;
    failures: string[];
  }[];
  error?: { code: string; message: string };
}

async function withTemp(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "kiln-app-new-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function gitLog(dir: string): Promise<string[]> {
  const out = await new Deno.Command("git", {
    args: ["-C", dir, "log", "--format=%s"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim().split("\n");
}

async function newApp(root: string, name: string, template: string): Promise<string> {
  const dir = join(root, name);
  const made = await kiln(["app", "new", name, "--template", template, "--dir", dir]);
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout, new RegExp(`created ${name} from the ${template} template`));
  assert.match(made.stdout, /initialized a Git repository there with a first commit/);
  assert.deepEqual(await gitLog(dir), [`New app ${name} from Kiln's ${template} template`]);
  return dir;
}

async function appTest(dir: string, ...args: string[]) {
  const run = await kiln(["app", "test", dir, "--json", ...args]);
  let report: Report | undefined;
  try {
    report = JSON.parse(run.stdout);
  } catch { /* asserted below */ }
  assert.ok(report, `kiln app test printed JSON: ${run.stdout}\n${run.stderr}`);
  return { code: run.code, report: report!, stderr: run.stderr };
}

/** Creates the app, runs its own tests, and checks each kind of check ran and passed. */
async function templatePasses(template: string, tiers: string[]) {
  await withTemp(async (root) => {
    const dir = await newApp(root, `my-${template}`, template);
    const { code, report } = await appTest(dir);
    const failed = report.results.filter((r) => !r.ok);
    assert.deepEqual(failed, [], `${template}: every check passes`);
    assert.equal(code, 0);
    assert.equal(report.failed, 0);
    const cases = report.results.filter((r) => r.kind === "case");
    const schemas = report.results.filter((r) => r.kind === "schema");
    assert.ok(cases.length >= 3, `${template} ships cases`);
    assert.ok(schemas.length >= 2, `${template} ships schemas with examples`);
    for (const tier of tiers) {
      assert.ok(cases.some((c) => c.tier === tier), `${template}: a case ran on the ${tier} tier`);
    }
  });
}

Deno.test("kiln app new basic: its isolate and wasm components pass kiln app test", async () => {
  await templatePasses("basic", ["isolate", "wasm"]);
});

Deno.test("kiln app new llm: its llm component passes kiln app test offline, from its cassette", async () => {
  await templatePasses("llm", ["isolate"]);
});

Deno.test("kiln app new workflow: the code + llm workflow passes kiln app test from cassettes", async () => {
  await templatePasses("workflow", ["isolate"]);
});

Deno.test({
  name: "kiln app new container: its Python component passes kiln app test in Docker",
  ignore: docker.ignore,
  fn: () => templatePasses("container", ["isolate", "container"]),
});

Deno.test("kiln app test exits 1 naming a case whose expectation is broken, with the diff", async () => {
  await withTemp(async (root) => {
    const dir = await newApp(root, "broken", "basic");
    const path = join(dir, "tests/components.test.yaml");
    const text = await Deno.readTextFile(path);
    await Deno.writeTextFile(path, text.replace(`"Hello, Ada!"`, `"Howdy, Ada!"`));
    const human = await kiln(["app", "test", dir, "--filter", "hello greets"]);
    assert.equal(human.code, 1, human.stdout + human.stderr);
    assert.match(human.stdout, /FAIL {2}tests\/components\.test\.yaml: hello greets by name/);
    assert.match(human.stdout, /\/message: expected "Howdy, Ada!", got "Hello, Ada!"/);
    assert.match(human.stdout, /0 passed, 1 failed/);
    // A filter matching nothing is a failure too: a typo must not make CI green.
    const none = await appTest(dir, "--filter", "no such case");
    assert.equal(none.code, 1);
    assert.equal(none.report.error?.code, "NO_TESTS");
  });
});

Deno.test("kiln app new and app test refuse misuse with exit 2 (5 for a non-empty target)", async () => {
  await withTemp(async (root) => {
    const badName = await kiln(["app", "new", "Not_An_Id", "--dir", join(root, "x")]);
    assert.equal(badName.code, 2);
    assert.match(badName.stderr, /app name "Not_An_Id" is not a valid appId/);
    const badTemplate = await kiln(["app", "new", "ok", "--template", "nope", "--dir", root]);
    assert.equal(badTemplate.code, 2);
    assert.match(badTemplate.stderr, /unknown template "nope"; choose one of basic, llm/);
    await Deno.writeTextFile(join(root, "keep.txt"), "the author's file");
    const nonEmpty = await kiln(["app", "new", "ok", "--dir", root]);
    assert.equal(nonEmpty.code, 5);
    assert.match(nonEmpty.stderr, /is not empty/);
    assert.equal(await Deno.readTextFile(join(root, "keep.txt")), "the author's file");
    const notApp = await kiln(["app", "test", root]);
    assert.equal(notApp.code, 2);
    assert.match(notApp.stderr, /is not an app directory: it has no state\/ folder/);
    const app = await newApp(root, "bad-tests", "basic");
    await Deno.writeTextFile(join(app, "tests/extra.test.yaml"), "cases:\n  - name: x\n");
    const badFile = await kiln(["app", "test", app]);
    assert.equal(badFile.code, 2);
    assert.match(badFile.stderr, /"tests\/extra\.test\.yaml": cases\.0\.component/);
  });
});

Deno.test("a new app registers on a running kiln serve and answers", async () => {
  await withTemp(async (root) => {
    const dir = await newApp(root, "served", "basic");
    const token = "app-new-test-token-0123456789";
    const server = await spawnServer(
      ["--port", "0", "--data-dir", join(root, "data"), "--no-example"],
      { env: { KILN_ADMIN_TOKEN: token } },
    );
    try {
      const reg = await kiln(["app", "register", dir, "--url", server.url, "--token", token]);
      assert.equal(reg.code, 0, reg.stderr);
      assert.match(reg.stdout, /registered served \(ACTIVE\)/);
      const res = await fetch(`${server.url}/apps/served/hello`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "Grace" }),
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-kiln-tier"), "isolate");
      assert.deepEqual(await res.json(), { message: "Hello, Grace!" });
    } finally {
      await server.stop();
    }
  });
});
