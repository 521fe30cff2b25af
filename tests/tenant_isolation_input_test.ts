/**
 * Input-sized attacks on a real `kiln serve`: YAML bombs, Git objects from pushes,
 * deep JSON, look-alike names, unknown key permissions and execution tokens used after their
 * execution. Each test performs one attack class through a public surface (`/v1`, `/mcp`,
 * stock `git push`) and shows the attacker gets a structured error naming the budget, the
 * bystander app stays under its p99 with no failures, and the attacker's app serves again.
 */
import assert from "node:assert/strict";
import {
  assertError,
  ATTACK_TOKEN,
  type AttackKiln,
  fetchJson,
  startAttackKiln,
  underAttack as measureAttack,
} from "./_support/attack.ts";
import { git } from "./_support/git.ts";
import { connectV1 } from "./_support/mcp_clients.ts";

const ATTACKER = "attacker";
const EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";

/** The attacker's own app: a ping, a component that shows its token, a workflow component. */
function attackerApp(): Record<string, string> {
  return {
    "app_definition.yaml": `appId: ${ATTACKER}\ndisplayName: attacker\nversion: 1.0.0\n`,
    "component_registry.yaml": `components:
  - componentId: ping
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/main.ts, function: ping, language: typescript }
    routeMatcher: { pathPattern: /ping, methods: [GET] }
  - componentId: leak
    handlerType: jit
    runtime: isolate
    trust: trusted
    permissions: [core.state.getRuntimeValue, core.state.setRuntimeValue]
    taskDetails: { script: code/main.ts, function: leak, language: typescript }
    routeMatcher: { pathPattern: /leak, methods: [GET] }
  - componentId: deep
    handlerType: jit
    runtime: isolate
    trust: trusted
    permissions: [core.state.setRuntimeValue]
    taskDetails: { script: code/main.ts, function: deep, language: typescript }
    routeMatcher: { pathPattern: /deep, methods: [POST] }
  - componentId: echo
    handlerType: workflow
    taskDetails: { workflowId: echo }
    routeMatcher: { pathPattern: /echo, methods: [POST] }
`,
    "code/main.ts": `import { mcp } from "kiln:sdk";
export function ping() { return { pong: true }; }
export async function leak(_req: unknown, ctx: { mcp_token: string }) {
  await mcp.call("core.state.setRuntimeValue", { key: "seen", value: 1 });
  const during = await mcp.call("core.state.getRuntimeValue", { key: "seen" });
  return { token: ctx.mcp_token, during };
}
export async function deep(req: { httpDetails: { body: string } }) {
  let value: unknown = "leaf";
  for (let i = 0; i < Number(req.httpDetails.body); i++) value = [value];
  try {
    await mcp.call("core.state.setRuntimeValue", { key: "deep", value });
    return { stored: true };
  } catch (err) {
    return { code: (err as { code?: string }).code, message: String((err as Error).message) };
  }
}
`,
    "workflows/echo.yaml": `workflowId: echo
startAt: answer
steps:
  answer:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { subject: trigger.body.subject }
    end: true
`,
  };
}

/**
 * Runs `attack` once to warm the code paths it reaches (a route's first call compiles code, which
 * is not the attack's doing), then repeats it for a few seconds while the bystander is probed: a
 * sustained attack is the harder case, and 100+ probes make the p99 a percentile rather than the
 * single slowest call.
 */
/** `underAttack`, printing the bystander's figures when `KILN_ATTACK_LOG` is set. */
async function underAttack<T>(kiln: AttackKiln, attack: () => Promise<T>) {
  const started = performance.now();
  const out = await measureAttack(kiln, attack);
  if (Deno.env.get("KILN_ATTACK_LOG")) {
    const b = out.bystander;
    console.log(
      `  attack ${(performance.now() - started).toFixed(0)} ms; bystander n=${b.count} ` +
        `p50 ${b.p50.toFixed(0)} p99 ${b.p99.toFixed(0)} max ${b.max.toFixed(0)} ms`,
    );
  }
  return out;
}

async function underSustainedAttack<T>(
  kiln: AttackKiln,
  attack: () => Promise<T>,
  ms = 2_500,
): Promise<{ result: T }> {
  await attack();
  return await underAttack(kiln, async () => {
    const until = performance.now() + ms;
    let result: T;
    do result = await attack(); while (performance.now() < until);
    return result;
  });
}

async function withAttacker(fn: (kiln: AttackKiln) => Promise<void>): Promise<void> {
  const kiln = await startAttackKiln();
  try {
    await kiln.register(attackerApp());
    // Warm: the attacker's isolate host and bundle exist before an attack is measured, so the
    // bystander's figures show the attack, not an app's first start.
    await assertRecovered(kiln);
    await fetchJson(kiln, `/apps/${ATTACKER}/deep`, { method: "POST", body: "1" });
    await fetchJson(kiln, `/apps/${ATTACKER}/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    await fn(kiln);
  } finally {
    await kiln.stop();
  }
}

/** The attacker's app still answers a normal request. */
async function assertRecovered(kiln: AttackKiln): Promise<void> {
  const res = await fetchJson(kiln, `/apps/${ATTACKER}/ping`);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.deepEqual(res.json, { pong: true });
}

async function status(kiln: AttackKiln) {
  return (await kiln.api("GET", `/v1/apps/${ATTACKER}`)).json;
}

/** A clone of the attacker's repo to push from. */
async function cloneAttacker(
  kiln: AttackKiln,
): Promise<{ dir: string; done: () => Promise<void> }> {
  const work = await Deno.makeTempDir({ prefix: "kiln-attack-clone-" });
  await git(["clone", "-q", `${kiln.dataDir}/apps/${ATTACKER}.git`, `${work}/repo`]);
  return {
    dir: `${work}/repo`,
    done: () => Deno.remove(work, { recursive: true }).catch(() => {}),
  };
}

/** Runs `git` with stdin and answers stdout (plumbing: mktree, commit-tree). */
async function gitIn(cwd: string, args: string[], stdin: string | Uint8Array): Promise<string> {
  const child = new Deno.Command("git", {
    args,
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: {
      GIT_AUTHOR_NAME: "Attacker",
      GIT_AUTHOR_EMAIL: "a@example.com",
      GIT_COMMITTER_NAME: "Attacker",
      GIT_COMMITTER_EMAIL: "a@example.com",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
    },
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin);
  await writer.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
}

/** A raw tree object of `n` empty files (`git mktree` takes seconds for this many). */
function wideTree(n: number): Uint8Array {
  const id = Uint8Array.from(EMPTY_BLOB.match(/../g)!.map((h) => Number.parseInt(h, 16)));
  const parts: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(new TextEncoder().encode(`100644 f${String(i).padStart(6, "0")}\0`), id);
  }
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A stock push that may be refused; answers git's exit status and stderr. */
async function tryPush(dir: string, rev = "HEAD"): Promise<{ ok: boolean; stderr: string }> {
  const out = await new Deno.Command("git", {
    args: ["push", "-q", "origin", `${rev}:refs/heads/main`],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
    env: { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" },
  }).output();
  return { ok: out.success, stderr: new TextDecoder().decode(out.stderr) };
}

async function commitAll(dir: string, message: string): Promise<void> {
  await git(["add", "-A"], dir);
  await git(["commit", "-qm", message], dir);
}

/** The resident memory of the `kiln serve` process, in MiB (Linux; null elsewhere). */
async function kilnRssMb(kiln: AttackKiln): Promise<number | null> {
  try {
    for await (const e of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      const cmd = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
      if (!cmd.includes(kiln.dataDir) || !cmd.includes("serve")) continue;
      const status = await Deno.readTextFile(`/proc/${e.name}/status`);
      return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
    }
  } catch { /* no /proc */ }
  return null;
}

/** Samples Kiln's RSS while `fn` runs; answers the peak in MiB. */
async function peakRss<T>(kiln: AttackKiln, fn: () => Promise<T>): Promise<[T, number | null]> {
  let peak = await kilnRssMb(kiln);
  let running = true;
  const sampler = (async () => {
    while (running) {
      const now = await kilnRssMb(kiln);
      if (now !== null) peak = Math.max(peak ?? 0, now);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    return [await fn(), peak];
  } finally {
    running = false;
    await sampler;
  }
}

// --- YAML --------------------------------------------------------------------------------------

const KEYS_BOMB = "appId: attacker\ndisplayName: a\nversion: 1.0.0\nconfiguration:\n" +
  Array.from({ length: 40_000 }, (_, i) => `  k${i}: ${i}`).join("\n") + "\n";
const ANCHOR_BOMB = Array.from({ length: 20_000 }, (_, i) => `- &a${i} ${i}`).join("\n") + "\n";
const DEEP_LIST = "- ".repeat(400_000) + "x\n";

Deno.test("YAML bombs through the API are refused at their budget within milliseconds", async () => {
  await withAttacker(async (kiln) => {
    const before = (await status(kiln)).revision;
    const cases: [string, string, string][] = [
      ["app_definition.yaml", KEYS_BOMB, "yaml.tokens"],
      ["anchors.yaml", ANCHOR_BOMB, "yaml.aliases"],
      ["deep.yaml", DEEP_LIST, "yaml.depth"],
    ];
    const { result } = await underSustainedAttack(kiln, async () => {
      const out = [];
      for (const [path, content, limit] of cases) {
        const started = performance.now();
        const res = await kiln.api("PUT", `/v1/apps/${ATTACKER}/definitions/file`, {
          path,
          content,
          commitMessage: "bomb",
        });
        out.push({ res, limit, ms: performance.now() - started });
      }
      return out;
    });
    for (const { res, limit, ms } of result) {
      assertError(res, 400, "LIMIT_EXCEEDED", { limit });
      assert.ok(ms < 2_000, `${limit} refused in ${ms.toFixed(0)} ms`);
    }
    assert.equal((await status(kiln)).revision, before, "nothing was committed");
    await assertRecovered(kiln);
  });
});

Deno.test("YAML bombs pushed with stock git are refused at the hook naming each budget", async () => {
  await withAttacker(async (kiln) => {
    const served = (await status(kiln)).revision;
    const clone = await cloneAttacker(kiln);
    try {
      await Deno.writeTextFile(`${clone.dir}/state/app_definition.yaml`, KEYS_BOMB);
      await Deno.writeTextFile(`${clone.dir}/state/anchors.yaml`, ANCHOR_BOMB);
      await Deno.writeTextFile(`${clone.dir}/state/deep.yaml`, DEEP_LIST);
      await commitAll(clone.dir, "bombs");
      const { result: pushed } = await underAttack(kiln, () => tryPush(clone.dir));
      assert.equal(pushed.ok, false, "Kiln's pre-receive gate refuses the push");
      for (const limit of ["yaml.aliases", "yaml.depth", "yaml.tokens"]) {
        assert.match(
          pushed.stderr,
          new RegExp(`remote: kiln: .*\\(${limit.replace(".", "\\.")}\\)`),
        );
      }
      const after = await status(kiln);
      assert.equal(after.status, "ACTIVE");
      assert.equal(after.revision, served, "the last valid revision keeps serving");
      await assertRecovered(kiln);
    } finally {
      await clone.done();
    }
  });
});

// --- Git objects -------------------------------------------------------------------------------

Deno.test("a zip-bomb blob never reaches Kiln whole: the hook refuses it, Kiln sizes the rest", async () => {
  await withAttacker(async (kiln) => {
    const served = (await status(kiln)).revision;
    const clone = await cloneAttacker(kiln);
    try {
      // 16 MiB of zeros: a pack of ~16 KiB. The repo's pre-receive hook refuses it unread
      // (the hook reads object headers only, so 2 GB would be refused the same way).
      await Deno.writeFile(`${clone.dir}/state/zeros.bin`, new Uint8Array(16 << 20));
      await commitAll(clone.dir, "zip bomb");
      const baseline = await kilnRssMb(kiln);
      const [refused, peakBig] = await peakRss(
        kiln,
        async () => (await underAttack(kiln, () => tryPush(clone.dir))).result,
      );
      assert.equal(refused.ok, false);
      assert.match(refused.stderr, /git\.object\.bytes/);
      assert.equal((await status(kiln)).status, "ACTIVE");

      // 3 MiB of zeros passes the size check (under git.object.bytes) and is refused by Kiln's
      // gate from the object's header: it is over definition.bytes and never inflated.
      await git(["reset", "-q", "--hard", "HEAD~1"], clone.dir);
      await Deno.writeFile(`${clone.dir}/state/zeros.bin`, new Uint8Array(3 << 20));
      await commitAll(clone.dir, "smaller bomb");
      const [smaller, peakSmall] = await peakRss(
        kiln,
        async () => (await underAttack(kiln, () => tryPush(clone.dir))).result,
      );
      assert.equal(smaller.ok, false);
      assert.match(smaller.stderr, /remote: kiln: +state\/zeros\.bin.*\(definition\.bytes\)/);
      assert.equal((await status(kiln)).revision, served);
      if (baseline !== null) {
        const grew = Math.max(peakBig ?? 0, peakSmall ?? 0) - baseline;
        assert.ok(grew < 100, `kiln grew by ${grew.toFixed(0)} MiB during the pushes`);
      }
      await assertRecovered(kiln);
    } finally {
      await clone.done();
    }
  });
});

Deno.test("a 100,000-entry tree is refused at push from its size", async () => {
  await withAttacker(async (kiln) => {
    const served = (await status(kiln)).revision;
    const clone = await cloneAttacker(kiln);
    try {
      const d = clone.dir;
      await gitIn(d, ["hash-object", "-w", "--stdin"], "");
      const many = await gitIn(
        d,
        ["hash-object", "-t", "tree", "-w", "--stdin"],
        wideTree(100_000),
      );
      const state = await git(["ls-tree", "HEAD:state"], d);
      const stateTree = await gitIn(d, ["mktree"], `${state}040000 tree ${many}\tmany\n`);
      const root = await gitIn(d, ["mktree"], `040000 tree ${stateTree}\tstate\n`);
      const commit = await gitIn(d, ["commit-tree", root, "-p", "HEAD", "-m", "wide"], "");
      const { result } = await underAttack(kiln, async () => {
        const started = performance.now();
        const pushed = await tryPush(d, commit);
        return { pushed, ms: performance.now() - started };
      });
      assert.equal(result.pushed.ok, false);
      assert.match(result.pushed.stderr, /remote: kiln: .*\(git\.tree\.entries\)/);
      assert.equal((await status(kiln)).revision, served);
      await assertRecovered(kiln);
    } finally {
      await clone.done();
    }
  });
});

Deno.test("huge commit messages: refused at push over git.object.bytes and git.commit.bytes", async () => {
  await withAttacker(async (kiln) => {
    const served = (await status(kiln)).revision;
    const clone = await cloneAttacker(kiln);
    try {
      const d = clone.dir;
      const tree = (await git(["rev-parse", "HEAD^{tree}"], d)).trim();
      // Any message over git.object.bytes is refused alike (the hook reads sizes only); 8 MB
      // spares the shared CI machine the CPU git spends hashing 60 MB, measured separately.
      const huge = await gitIn(
        d,
        ["commit-tree", tree, "-p", "HEAD", "-F", "-"],
        "m".repeat(8 << 20),
      );
      const { result: refused } = await underAttack(kiln, () => tryPush(d, huge));
      assert.equal(refused.ok, false);
      assert.match(refused.stderr, /git\.object\.bytes/);

      // 3 MB passes the size check and is refused by Kiln's gate from the commit's size.
      const big = await gitIn(
        d,
        ["commit-tree", tree, "-p", "HEAD", "-F", "-"],
        "m".repeat(3 << 20),
      );
      const { result } = await underAttack(kiln, () => tryPush(d, big));
      assert.equal(result.ok, false);
      assert.match(result.stderr, /remote: kiln: .*\(git\.commit\.bytes\)/);
      assert.equal((await status(kiln)).revision, served);
      await assertRecovered(kiln);
    } finally {
      await clone.done();
    }
  });
});

// --- JSON nesting ------------------------------------------------------------------------------

const deepJson = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

Deno.test("deep JSON bodies on /v1 are refused before parsing, naming json.depth", async () => {
  await withAttacker(async (kiln) => {
    const { result } = await underSustainedAttack(kiln, async () => {
      const value = await fetchJson(kiln, `/v1/apps/${ATTACKER}/runtime/k`, {
        method: "PUT",
        headers: { authorization: `Bearer ${ATTACK_TOKEN}`, "content-type": "application/json" },
        body: `{"value":${deepJson(50_000)}}`,
      });
      const app = await fetchJson(kiln, "/v1/apps", {
        method: "POST",
        headers: { authorization: `Bearer ${ATTACK_TOKEN}`, "content-type": "application/json" },
        body: `{"files":${deepJson(3_000)}}`,
      });
      return [value, app];
    });
    for (const res of result) assertError(res, 400, "LIMIT_EXCEEDED", { limit: "json.depth" });
    const ok = await kiln.api("PUT", `/v1/apps/${ATTACKER}/runtime/k`, { value: [[1]] });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    await assertRecovered(kiln);
  });
});

Deno.test("deep JSON on /mcp is an HTTP 400 JSON-RPC error naming json.depth (raw and SDK)", async () => {
  await withAttacker(async (kiln) => {
    const mcpUrl = new URL(`${kiln.url}/mcp?app=${ATTACKER}`);
    const { result } = await underSustainedAttack(kiln, async () => {
      const raw = await fetch(mcpUrl, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization: `Bearer ${ATTACK_TOKEN}`,
          "mcp-protocol-version": "2025-11-25",
        },
        body: `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":` +
          `"core.state.setRuntimeValue","arguments":{"key":"k","value":${deepJson(50_000)}}}}`,
      });
      const { client } = await connectV1(mcpUrl, ATTACK_TOKEN);
      let sdkError: unknown;
      try {
        let value: unknown = 1;
        for (let i = 0; i < 3_000; i++) value = [value];
        await client.callTool({
          name: "core.state.setRuntimeValue",
          arguments: { key: "k", value },
        });
      } catch (err) {
        sdkError = err;
      }
      const after = await client.callTool({
        name: "core.state.setRuntimeValue",
        arguments: { key: "k", value: [[1]] },
      });
      await client.close();
      return { status: raw.status, body: await raw.json(), sdkError, after };
    });
    assert.equal(result.status, 400);
    assert.equal(result.body.error.code, -32600);
    assert.equal(result.body.id, null);
    assert.equal(result.body.error.data.code, "LIMIT_EXCEEDED");
    assert.equal(result.body.error.data.details.limit, "json.depth");
    assert.match(String(result.sdkError), /json\.depth|nests deeper/);
    assert.deepEqual(result.after.structuredContent, { success: true });
    await assertRecovered(kiln);
  });
});

Deno.test("deep JSON into a workflow component and into runtime values answers 400 json.depth", async () => {
  await withAttacker(async (kiln) => {
    const { result } = await underSustainedAttack(kiln, async () => {
      const ingress = await fetchJson(kiln, `/apps/${ATTACKER}/echo`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"subject":"x","body":${deepJson(3_000)}}`,
      });
      // From inside a component: the tool call is refused, the component answers normally.
      const guest = await fetchJson(kiln, `/apps/${ATTACKER}/deep`, {
        method: "POST",
        body: "1000",
      });
      return { ingress, guest };
    });
    assertError(result.ingress, 400, "LIMIT_EXCEEDED", { limit: "json.depth" });
    assert.equal(result.guest.status, 200, JSON.stringify(result.guest.json));
    assert.equal(result.guest.json.code, "LIMIT_EXCEEDED");
    const echo = await fetchJson(kiln, `/apps/${ATTACKER}/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"subject":"hello"}`,
    });
    assert.equal(echo.status, 200, JSON.stringify(echo.json));
    assert.deepEqual(echo.json, { subject: "hello" });
    const shallow = await fetchJson(kiln, `/apps/${ATTACKER}/deep`, { method: "POST", body: "20" });
    assert.deepEqual(shallow.json, { stored: true });
  });
});

// --- Names and permissions ---------------------------------------------------------------------

const LOOK_ALIKES = [
  "\u2025/x.yaml",
  "\uff0e\uff0e/x.yaml",
  "a\u202e.yaml",
  ".gitmodules",
  "x/.GITMODULES",
];

Deno.test("look-alike, bidi and Git-special paths are refused through the API and by push", async () => {
  await withAttacker(async (kiln) => {
    const served = (await status(kiln)).revision;
    const clone = await cloneAttacker(kiln);
    try {
      const { result: answers } = await underSustainedAttack(kiln, async () => {
        const out = [];
        for (const path of LOOK_ALIKES) {
          out.push(
            await kiln.api("PUT", `/v1/apps/${ATTACKER}/definitions/file`, {
              path,
              content: "a: 1\n",
              commitMessage: "sneak",
            }),
          );
        }
        return out;
      });
      await Deno.mkdir(`${clone.dir}/state/\uff0e\uff0e`, { recursive: true });
      await Deno.writeTextFile(`${clone.dir}/state/\uff0e\uff0e/x.yaml`, "a: 1\n");
      await Deno.writeTextFile(`${clone.dir}/state/a\u202e.yaml`, "a: 1\n");
      await commitAll(clone.dir, "sneak");
      const { result: pushed } = await underAttack(kiln, () => tryPush(clone.dir));
      for (const res of answers) assertError(res, 400, "PATH_NOT_ALLOWED");
      assert.equal(pushed.ok, false, "Kiln's pre-receive gate refuses the push");
      for (const path of ["a\u202e.yaml", "\uff0e\uff0e/x.yaml"]) {
        assert.ok(pushed.stderr.includes(`path "${path}" is not allowed`), pushed.stderr);
      }
      assert.equal((await status(kiln)).revision, served);
      await assertRecovered(kiln);
    } finally {
      await clone.done();
    }
  });
});

Deno.test("unknown permissions are refused for new keys and in security_config.yaml", async () => {
  await withAttacker(async (kiln) => {
    const { result } = await underSustainedAttack(kiln, async () => {
      const keys = [];
      for (const permissions of [["app:write"], ["state:read"], ["runtime:read", "bogus:*"]]) {
        keys.push(await kiln.api("POST", `/v1/apps/${ATTACKER}/keys`, { permissions }));
      }
      const file = await kiln.api("PUT", `/v1/apps/${ATTACKER}/definitions/file`, {
        path: "security_config.yaml",
        content: "apiKeys:\n  - keyId: abcdefghijkl\n    keyHash: sha256$c2FsdA$aGFzaA\n" +
          "    permissions: [app:write]\n",
        commitMessage: "grant",
      });
      return { keys, file };
    });
    for (const res of result.keys) assertError(res, 400, "VALIDATION_ERROR");
    assertError(result.file, 400, "VALIDATION_ERROR");
    assert.match(JSON.stringify(result.file.json), /apiKeys\.0\.permissions\.0/);
    const good = await kiln.api("POST", `/v1/apps/${ATTACKER}/keys`, {
      permissions: ["runtime:*", "invoke"],
    });
    assert.equal(good.status, 201, JSON.stringify(good.json));
    await assertRecovered(kiln);
  });
});

// --- Execution tokens --------------------------------------------------------------------------

Deno.test("an execution token stops working on /mcp as soon as its execution has answered", async () => {
  await withAttacker(async (kiln) => {
    const mcpUrl = new URL(`${kiln.url}/mcp`);
    const { result } = await underSustainedAttack(kiln, async () => {
      const leaked = await fetchJson(kiln, `/apps/${ATTACKER}/leak`);
      assert.equal(leaked.status, 200, JSON.stringify(leaked.json));
      const raw = await fetch(mcpUrl, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization: `Bearer ${leaked.json.token}`,
          "mcp-protocol-version": "2025-11-25",
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name: "core.state.getRuntimeValue", arguments: { key: "seen" } },
        }),
      });
      let sdkError: unknown;
      try {
        const { client } = await connectV1(mcpUrl, leaked.json.token);
        await client.close();
      } catch (err) {
        sdkError = err;
      }
      return { leaked: leaked.json, status: raw.status, body: await raw.json(), sdkError };
    });
    assert.deepEqual(result.leaked.during, { found: true, value: 1 }, "it worked while running");
    assert.equal(result.status, 401);
    assert.equal(result.body.error.data.code, "UNAUTHORIZED");
    assert.match(result.body.error.message, /revoked/);
    assert.ok(result.sdkError, "the SDK client cannot connect with the ended token");
    await assertRecovered(kiln);
  });
});
