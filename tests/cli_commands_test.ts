/**
 * Drives every `kiln` command group against a listening `kiln serve` with `--json`, checking
 * outputs and the documented exit codes (docs/cli.md): 0 ok, 1 failed, 2 misuse, 3 token
 * refused, 4 not found, 5 conflict. Commands run in this process through `runCli` (as `main.ts`
 * does) with explicit --url/--token; what depends on the environment (profiles, the process
 * exit code) runs as a real `kiln` child process.
 */
import assert from "node:assert/strict";
import { runCli } from "../src/cli/mod.ts";
import { kiln, spawnServer } from "./_support/process.ts";
import { workflowApp } from "./_support/workflow.ts";

const TOKEN = "cli-commands-admin-token-0123456789";
const APP = "cli-ops";

const COUNTER = `workflowId: counter
startAt: bump
steps:
  bump:
    type: mcp
    target: { tool: core.state.incrementRuntimeValue }
    inputMapping: { key: "'visits'" }
    safeToRepeat: false
    transitions: [{ nextStep: answer }]
  answer:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { visits: steps.bump.output.value }
    end: true
`;
const SLOW = `workflowId: slow
startAt: pause
steps:
  pause: { type: control, target: { subtype: wait, durationMs: 20000 }, end: true }
`;
const COMPONENTS = `components:
  - componentId: hello
    description: Says hello.
    handlerType: jit
    taskDetails: { script: code/hello.ts, function: hello, language: typescript }
    routeMatcher: { pathPattern: /hello, methods: [GET] }
    permissions: [core.state.getRuntimeValue]
`;

// deno-lint-ignore no-explicit-any -- tests index freely into JSON answers
type Json = any;

Deno.test("every kiln command works against a listening Kiln, with --json and exit codes", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "kiln-cli-commands-" });
  const server = await spawnServer(["--port", "0", "--data-dir", `${dir}/data`, "--no-example"], {
    env: { KILN_ADMIN_TOKEN: TOKEN, KILN_CONTAINERS: "off" },
  });
  const remote = ["--url", server.url, "--token", TOKEN];
  /** Runs one command in-process; `json` is its parsed stdout when it printed JSON. */
  const cli = async (args: string[], auth = remote) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli([...args, ...auth], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    const stdout = out.join("\n");
    let json: Json;
    try {
      json = JSON.parse(stdout);
    } catch { /* human output */ }
    return { code, stdout, stderr: err.join("\n"), json };
  };
  const ok = async (args: string[], auth = remote) => {
    const r = await cli(args, auth);
    assert.equal(r.code, 0, `kiln ${args.join(" ")}: ${r.stderr}`);
    return r;
  };
  const fails = async (args: string[], code: number, pattern: RegExp, auth = remote) => {
    const r = await cli(args, auth);
    assert.equal(r.code, code, `kiln ${args.join(" ")} exits ${code}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, pattern);
    return r;
  };

  try {
    const appDir = `${dir}/app`;
    const files = workflowApp(APP, { counter: COUNTER, slow: SLOW }, {
      components: COMPONENTS,
      code: { "code/hello.ts": "export function hello() { return { hello: 'world' }; }\n" },
    });
    for (const [path, content] of Object.entries(files)) {
      await Deno.mkdir(`${appDir}/state/${path}`.replace(/\/[^/]+$/, ""), { recursive: true });
      await Deno.writeTextFile(`${appDir}/state/${path}`, content);
    }

    await t.step("app", async () => {
      const reg = await ok(["app", "register", appDir, "--json"]);
      assert.equal(reg.json.appId, APP);
      await fails(["app", "register", appDir, "--json"], 5, /APP_EXISTS/);
      const list = await ok(["app", "list", "--json"]);
      assert.deepEqual(list.json.map((a: Json) => [a.appId, a.status]), [[APP, "ACTIVE"]]);
      const human = await ok(["app", "list"]);
      assert.match(human.stdout, new RegExp(`^APP\\s+STATUS\\s+REVISION\\n${APP}\\s+ACTIVE`));
      assert.equal((await ok(["app", "show", APP, "--json"])).json.displayName, APP);
      assert.match((await ok(["app", "show", APP])).stdout, new RegExp(`^appId:\\s+${APP}$`, "m"));
      assert.equal((await ok(["app", "status", APP, "--json"])).json.status, "ACTIVE");
      assert.equal((await ok(["app", "deactivate", APP, "--json"])).json.status, "INACTIVE");
      assert.equal((await ok(["app", "activate", APP, "--json"])).json.status, "ACTIVE");
      await fails(["app", "show", "ghost"], 4, /APP_NOT_FOUND/);
      await fails(["app", "status"], 2, /usage: kiln app status APP/);
      await fails(["app", "list", "extra"], 2, /usage: kiln app list/);
      await fails(["app", "list", "--delete-state"], 2, /Unknown option '--delete-state'/);
      await fails(["app", "frob"], 2, /unknown command "app frob"/);
      await fails(["app", "list"], 3, /UNAUTHORIZED/, ["--url", server.url, "--token", "wrong"]);
    });

    let keyId = "";
    let apiKey = "";
    await t.step("keys", async () => {
      const created = await ok([
        "keys",
        "create",
        APP,
        "--description",
        "ci",
        "--permission",
        "runtime:read",
        "--json",
      ]);
      ({ keyId, apiKey } = created.json);
      assert.match(apiKey, new RegExp(`^kiln_${keyId}_`));
      const list = await ok(["keys", "list", APP, "--json"]);
      assert.deepEqual(list.json.map((k: Json) => [k.keyId, k.permissions]), [[
        keyId,
        ["runtime:read"],
      ]]);
      // The secret is what follows `kiln_<keyId>_`; it may itself hold underscores.
      const secret = apiKey.slice(`kiln_${keyId}_`.length);
      assert.equal(secret.length, 43);
      assert.ok(!JSON.stringify(list.json).includes(secret), "no secret listed");
      // The key reads runtime state but may not write it.
      await ok(["state", "set", APP, "k", "1"]);
      const asKey = ["--url", server.url, "--token", apiKey];
      await fails(["state", "set", APP, "k", "1"], 3, /FORBIDDEN/, asKey);
      assert.equal((await ok(["state", "get", APP, "k", "--json"], asKey)).code, 0);
    });

    await t.step("state", async () => {
      await ok(["state", "set", APP, "cart", '{"items":[1,2]}', "--json"]);
      assert.deepEqual((await ok(["state", "get", APP, "cart", "--json"])).json, {
        found: true,
        value: { items: [1, 2] },
      });
      assert.deepEqual((await ok(["state", "list", APP, "--json"])).json, ["cart", "k"].sort());
      assert.deepEqual((await ok(["state", "delete", APP, "cart", "--json"])).json, {
        deleted: true,
      });
      const gone = await cli(["state", "get", APP, "cart", "--json"]);
      assert.equal(gone.code, 4, "a key that is not set");
      assert.deepEqual(gone.json, { found: false });
      await fails(["state", "set", APP, "cart", "{nope"], 2, /VALUE is not JSON/);
      await fails(["state", "get", "ghost", "x"], 4, /APP_NOT_FOUND/);
    });

    await t.step("keys revoke", async () => {
      await ok(["keys", "revoke", APP, keyId, "--json"]);
      assert.deepEqual((await ok(["keys", "list", APP, "--json"])).json, []);
      await fails(["state", "get", APP, "k"], 3, /UNAUTHORIZED/, [
        "--url",
        server.url,
        "--token",
        apiKey,
      ]);
    });

    await t.step("tokens", async () => {
      const minted = await ok(["tokens", "create", APP, "hello", "--ttl", "60", "--json"]);
      assert.deepEqual(minted.json.tools, ["core.state.getRuntimeValue"]);
      assert.ok(Date.parse(minted.json.expiresAt) > Date.now());
      await fails(["tokens", "create", APP, "nope"], 4, /COMPONENT_NOT_FOUND/);
      await fails(["tokens", "create", APP, "hello", "--ttl", "soon"], 2, /--ttl must be/);
    });

    await t.step("defs", async () => {
      const before = await ok(["defs", "get", APP, "app_definition.yaml", "--json"]);
      const base = before.json.revision;
      const edited = `${dir}/app_definition.yaml`;
      await Deno.writeTextFile(
        edited,
        before.json.content.replace(/version: .*/, "version: 2.0.0"),
      );
      const put = await ok([
        "defs",
        "put",
        APP,
        "app_definition.yaml",
        edited,
        "-m",
        "Bump the version",
        "--base",
        base,
        "--json",
      ]);
      const head = put.json.resultingRevision;
      assert.match(head, /^[0-9a-f]{40}$/);
      await fails(
        ["defs", "put", APP, "app_definition.yaml", edited, "--base", base],
        5,
        /CONFLICT/,
      );
      const raw = await ok(["defs", "get", APP, "app_definition.yaml"]);
      assert.match(raw.stdout, /^version: 2\.0\.0$/m);
      const history = await ok(["defs", "history", APP, "--path", "app_definition.yaml", "--json"]);
      assert.equal(history.json[0].revision, head);
      assert.equal(history.json[0].message.trim(), "Bump the version");
      const diff = await ok(["defs", "diff", APP, base, head, "--json"]);
      assert.match(diff.json.diff, /^\+version: 2\.0\.0$/m);
      const reverted = await ok(["defs", "revert", APP, head, "--json"]);
      assert.notEqual(reverted.json.resultingRevision, head);
      assert.match((await ok(["defs", "get", APP, "app_definition.yaml"])).stdout, /1\.0\.0/);
      await fails(["defs", "get", APP, "nope.yaml"], 4, /FILE_NOT_FOUND/);
      await fails(["defs", "put", APP, "x.yaml", `${dir}/missing`], 2, /cannot read/);
    });

    await t.step("runs", async () => {
      const started = await ok(["runs", "start", APP, "counter", "--input", "{}", "--json"]);
      const runId = started.json.runId;
      const watched = await ok(["runs", "watch", APP, runId, "--json"]);
      const events = watched.stdout.split("\n").map((l) => JSON.parse(l));
      assert.deepEqual(events.map((e) => [e.type, e.stepId ?? e.status]), [
        ["step", "bump"],
        ["step", "answer"],
        ["run", "succeeded"],
      ]);
      const shown = await ok(["runs", "show", APP, runId, "--json"]);
      assert.equal(shown.json.status, "succeeded");
      assert.deepEqual(shown.json.result.data, { visits: 1 });
      const human = await ok(["runs", "start", APP, "counter", "--watch"]);
      assert.match(human.stdout, /step bump succeeded[\s\S]*run \S+ succeeded/);
      const list = await ok(["runs", "list", APP, "--workflow", "counter", "--json"]);
      assert.equal(list.json.length, 2);
      const slow = await ok(["runs", "start", APP, "slow", "--json"]);
      const cancelled = await ok(["runs", "cancel", APP, slow.json.runId, "--json"]);
      assert.equal(cancelled.json.status, "cancelled");
      await fails(["runs", "watch", APP, slow.json.runId], 1, /^$/);
      await fails(["runs", "show", APP, "no-such-run"], 4, /NOT_FOUND/);
      await fails(["runs", "start", APP, "counter", "--input", "{"], 2, /--input is not JSON/);
    });

    await t.step("metrics", async () => {
      const names = (await ok(["metrics", "list", "--json"])).json.map((m: Json) => m.name);
      assert.ok(names.includes("kiln.mcp.calls"), names.join(","));
      // Each counter run's mcp step is one tool call of the app.
      const q = await ok([
        "metrics",
        "query",
        "kiln.mcp.calls",
        "--app",
        APP,
        "--since",
        "1h",
        "--group-by",
        "tool",
        "--json",
      ]);
      assert.equal(q.json.name, "kiln.mcp.calls");
      const series = (q.json.series as Json[]).find((s) =>
        s.labels.tool === "core.state.incrementRuntimeValue"
      );
      const total = series?.points.reduce((n: number, p: Json) => n + p.sum, 0);
      assert.equal(total, 2, JSON.stringify(q.json));
      const human = await ok(["metrics", "query", "kiln.mcp.calls", "--app", APP]);
      assert.match(human.stdout, /^kiln\.mcp\.calls \(sum\)\nLABELS\s+COUNT/);
      await fails(["metrics", "query", "kiln.mcp.calls", "--since", "soon"], 2, /--since/);
      await fails(["metrics", "query", "no.such.metric"], 4, /METRIC_NOT_FOUND/);
    });

    await t.step("tools", async () => {
      const tools = await ok(["tools", "list", "--json"]);
      const names = tools.json.map((t: Json) => t.name);
      assert.ok(names.includes("core.state.getRuntimeValue"), names.join(","));
      const call = await ok([
        "tools",
        "call",
        "core.state.getRuntimeValue",
        "--app",
        APP,
        "--args",
        '{"key":"visits"}',
        "--json",
      ]);
      assert.deepEqual(call.json.structuredContent, { found: true, value: 2 });
      const denied = await cli(["tools", "call", "core.state.getRuntimeValue", "--json"]);
      assert.equal(denied.code, 1, "an error result");
      assert.equal(denied.json.isError, true);
      await fails(["tools", "list"], 3, /UNAUTHORIZED/, ["--url", server.url, "--token", "bad"]);
      await fails(["tools", "call", "x", "--args", "[1]"], 2, /--args must be a JSON object/);
    });

    await t.step("jit", async () => {
      assert.deepEqual((await ok(["jit", "list", APP, "--json"])).json, []);
      await fails(["jit", "status", APP, "ghost"], 4, /NOT_FOUND/);
    });

    await t.step("version, completions", async () => {
      const v = await ok(["version", "--json"], []);
      assert.match(v.json.version, /^\d+\.\d+\.\d+$/);
      await fails(["version", "--bogus"], 2, /usage: kiln version/, []);
      for (const shell of ["bash", "zsh", "fish"]) {
        const script = (await ok(["completions", shell], [])).stdout;
        for (const word of ["runs", "watch", "profile", "deregister"]) {
          assert.ok(script.includes(word), `${shell} completes ${word}`);
        }
      }
      const bash = await ok(["completions", "bash"], []);
      const checked = await new Deno.Command("bash", {
        args: [
          "-c",
          `${bash.stdout}\nCOMP_WORDS=(kiln runs w); COMP_CWORD=2; _kiln; echo "\${COMPREPLY[@]}"`,
        ],
        stdout: "piped",
      }).output();
      assert.equal(new TextDecoder().decode(checked.stdout).trim(), "watch");
      await fails(["completions", "powershell"], 2, /usage: kiln completions/, []);
    });

    await t.step("login and profiles (a real kiln process)", async () => {
      const env = { KILN_CONFIG_DIR: `${dir}/config`, KILN_URL: "", KILN_ADMIN_TOKEN: "" };
      const bad = await kiln(["login", "--url", server.url, "--token", "wrong"], env);
      assert.equal(bad.code, 3, bad.stderr);
      await assert.rejects(Deno.stat(`${dir}/config/profiles.json`), Deno.errors.NotFound);
      const login = await kiln(
        ["login", "--url", server.url, "--token", TOKEN, "--profile", "ci", "--json"],
        env,
      );
      assert.equal(login.code, 0, login.stderr);
      assert.equal(JSON.parse(login.stdout).profile, "ci");
      const stat = await Deno.stat(`${dir}/config/profiles.json`);
      assert.equal(stat.mode! & 0o777, 0o600);
      const listed = await kiln(["app", "list", "--profile", "ci", "--json"], env);
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal(JSON.parse(listed.stdout)[0].appId, APP);
      const profiles = await kiln(["login", "--list", "--json"], env);
      assert.deepEqual(JSON.parse(profiles.stdout), [{ profile: "ci", url: server.url }]);
      assert.ok(!profiles.stdout.includes(TOKEN), "tokens are never printed");
      const missing = await kiln(["app", "list", "--profile", "nope"], env);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /no profile "nope"/);
      const notFound = await kiln(["app", "show", "ghost", "--profile", "ci"], env);
      assert.equal(notFound.code, 4, "the process exits with the documented code");
    });

    await t.step("app deregister", async () => {
      await ok(["app", "deregister", APP, "--delete-state", "--json"]);
      await fails(["app", "show", APP], 4, /APP_NOT_FOUND/);
    });
  } finally {
    assert.equal(await server.stop(), 0);
    await Deno.remove(dir, { recursive: true });
  }
});
