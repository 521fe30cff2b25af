/**
 * `kiln dev` as an author uses it: a real `kiln dev` process on an app directory that is its own
 * Git repository, edited on disk while requests go to the app.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { git } from "./_support/git.ts";
import { kiln } from "./_support/process.ts";
import { json, openAiAnswer, serveWire } from "../src/llm/_test_support.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;
const RELOAD_BUDGET_MS = 300;

interface DevProcess {
  url: string;
  out: string[];
  err: string[];
  /** Waits for a line (stdout or stderr) after index `from` matching `re`. */
  waitFor(re: RegExp, from?: { out: number; err: number }, ms?: number): Promise<RegExpExecArray>;
  mark(): { out: number; err: number };
  stop(): Promise<number>;
}

async function startDev(dir: string, args: string[] = [], env: Record<string, string> = {}) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "dev", dir, "--port", "0", ...args],
    env: { KILN_CONTAINERS: "off", KILN_LOG_LEVEL: "warn", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out: string[] = [];
  const err: string[] = [];
  const drain = async (stream: ReadableStream<Uint8Array>, into: string[]) => {
    let buf = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      const parts = buf.split("\n");
      buf = parts.pop()!;
      into.push(...parts);
    }
  };
  const drained = Promise.all([drain(child.stdout, out), drain(child.stderr, err)]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const dev: DevProcess = {
    url: "",
    out,
    err,
    mark: () => ({ out: out.length, err: err.length }),
    async waitFor(re, from = { out: 0, err: 0 }, ms = 30_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        for (const line of [...out.slice(from.out), ...err.slice(from.err)]) {
          const m = re.exec(line);
          if (m) return m;
        }
        if (exited || Date.now() > deadline) {
          throw new Error(`no line matching ${re}:\n${out.join("\n")}\n${err.join("\n")}`);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async stop() {
      try {
        child.kill("SIGINT");
      } catch { /* exited */ }
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const { code } = await status;
      clearTimeout(timer);
      await drained;
      return code;
    },
  };
  try {
    dev.url = (await dev.waitFor(/dev listening on (\S+)/, undefined, 60_000))[1];
  } catch (e) {
    await dev.stop();
    throw e;
  }
  return dev;
}

const REGISTRY = `components:
  - componentId: hello
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/hello.ts, function: hello, language: typescript }
    routeMatcher: { pathPattern: /hello, methods: [GET] }
`;
const hello = (answer: number) => `export function hello() { return { answer: ${answer} }; }\n`;

/** A new app directory that is a Git repository with one commit, like an author's checkout. */
async function authorRepo(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kiln-dev-app-" });
  await Deno.mkdir(join(dir, "state/code"), { recursive: true });
  await Deno.writeTextFile(
    join(dir, "state/app_definition.yaml"),
    "appId: devdemo\ndisplayName: Dev demo\nversion: 0.1.0\n",
  );
  await Deno.writeTextFile(join(dir, "state/component_registry.yaml"), REGISTRY);
  await Deno.writeTextFile(join(dir, "state/code/hello.ts"), hello(1));
  await git(["init", "-q", "-b", "main"], dir);
  await git(["add", "-A"], dir);
  await git(["commit", "-qm", "app"], dir);
  return dir;
}

/** What the author's repository is: HEAD, the index file's bytes, every ref and object file. */
async function repoFingerprint(dir: string): Promise<string> {
  const index = await Deno.readFile(join(dir, ".git/index"));
  const digest = await crypto.subtle.digest("SHA-256", index);
  const listing: string[] = [];
  const walk = async (abs: string, rel: string) => {
    for await (const e of Deno.readDir(abs)) {
      if (e.isDirectory) await walk(join(abs, e.name), `${rel}${e.name}/`);
      else listing.push(`${rel}${e.name}`);
    }
  };
  await walk(join(dir, ".git/objects"), "objects/");
  await walk(join(dir, ".git/refs"), "refs/");
  const head = (await git(["rev-parse", "HEAD"], dir)).trim();
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return [`HEAD ${head}`, `index ${hex}`, ...listing.sort()].join("\n");
}

async function answer(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/apps/devdemo/hello`);
  return { status: res.status, body: await res.json() };
}

/** Writes `code` and polls until the app answers `expected`: the save's end-to-end time. */
async function saveAndPoll(dev: DevProcess, dir: string, n: number) {
  const from = dev.mark();
  const started = performance.now();
  await Deno.writeTextFile(join(dir, "state/code/hello.ts"), hello(n));
  for (;;) {
    const { status, body } = await answer(dev.url);
    if (status === 200 && (body as { answer: number }).answer === n) break;
    assert.ok(performance.now() - started < 20_000, `answer ${n} never came`);
    // A pause between polls, so the probe does not itself load the Kiln it measures.
    await new Promise((r) => setTimeout(r, 10));
  }
  const endToEnd = performance.now() - started;
  const reported = Number((await dev.waitFor(/^reloaded devdemo at \w+ in (\d+) ms$/, from))[1]);
  return { endToEnd, reported };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

Deno.test("kiln dev serves a save within 300 ms, keeps serving through invalid saves, recovers, and leaves the author's Git alone", async () => {
  const dir = await authorRepo();
  try {
    const before = await repoFingerprint(dir);
    const dev = await startDev(dir);
    let dataDir = "";
    try {
      dataDir = (await dev.waitFor(/^data dir: (\S+) \(temporary/))[1];
      assert.deepEqual(await answer(dev.url), { status: 200, body: { answer: 1 } });

      // The first save after start warms the reload path; the next three are measured, each after
      // a pause, as an author saves (the previous save's background build has finished).
      const runs = [];
      for (const n of [2, 3, 4, 5]) {
        await new Promise((r) => setTimeout(r, 1500));
        runs.push(await saveAndPoll(dev, dir, n));
      }
      runs.shift();
      const reported = runs.map((r) => r.reported);
      const endToEnd = runs.map((r) => Math.round(r.endToEnd));
      const load = Deno.loadavg()[0];
      console.log(
        `reload (kiln dev's own figure) ${reported.join(", ")} ms; write to first new ` +
          `answer ${endToEnd.join(", ")} ms; load ${load.toFixed(1)}`,
      );
      // The budget holds as it is while the machine has a core per runnable process; beyond that
      // every process gets its share of the cores (on CI's 2 cores at load 25, reading the three
      // files of this app took 400 ms), so the budget is scaled by that share.
      const share = Math.max(1, load / navigator.hardwareConcurrency);
      const budget = RELOAD_BUDGET_MS * share;
      assert.ok(median(reported) <= budget, `reloads took ${reported} ms (budget ${budget})`);
      // End to end also holds the first request's build of the new code and the polling.
      assert.ok(median(endToEnd) <= budget * (share > 1 ? 2 : 1), `end to end ${endToEnd} ms`);

      // Bad YAML: the file and line, and the last valid revision keeps answering.
      let from = dev.mark();
      await Deno.writeTextFile(
        join(dir, "state/component_registry.yaml"),
        `${REGISTRY}    limits: { timeoutMs: [1000 }\n`,
      );
      const bad = await dev.waitFor(/^\s+state\/component_registry\.yaml:(\d+):\d+: (.*)$/, from);
      assert.equal(bad[1], "8");
      await dev.waitFor(/^invalid: \d+ problem\(s\), still serving \w+/, from);
      assert.deepEqual(await answer(dev.url), { status: 200, body: { answer: 5 } });

      // A schema violation: the field, its line, and what was expected.
      from = dev.mark();
      await Deno.writeTextFile(
        join(dir, "state/component_registry.yaml"),
        REGISTRY.replace("handlerType: jit", "handlerType: jot"),
      );
      const wrong = await dev.waitFor(
        /^\s+state\/component_registry\.yaml:(\d+):(\d+): components\.0\.handlerType: (.*)$/,
        from,
      );
      assert.deepEqual([wrong[1], wrong[2]], ["3", "5"]);
      assert.match(wrong[3], /expected one of "llm"\|"jit"\|"workflow"; found "jot"/);
      // A save of another file while the tree is invalid is not served either.
      from = dev.mark();
      await Deno.writeTextFile(join(dir, "state/code/hello.ts"), hello(6));
      await dev.waitFor(/^invalid: /, from);
      assert.deepEqual(await answer(dev.url), { status: 200, body: { answer: 5 } });

      // The next valid save recovers, with what the tree holds now.
      from = dev.mark();
      await Deno.writeTextFile(join(dir, "state/component_registry.yaml"), REGISTRY);
      await dev.waitFor(/^reloaded devdemo at \w+ in \d+ ms$/, from);
      assert.deepEqual(await answer(dev.url), { status: 200, body: { answer: 6 } });
    } finally {
      assert.equal(await dev.stop(), 0, dev.err.join("\n"));
    }
    // Kiln committed every revision into its own repository, never into the author's.
    assert.equal(await repoFingerprint(dir), before);
    assert.match(await git(["status", "--porcelain"], dir), /^ M state\/code\/hello\.ts\n$/);
    await assert.rejects(Deno.stat(dataDir), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const ASKER_REGISTRY = `components:
  - componentId: ask
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/ask.ts, function: ask, language: typescript }
    routeMatcher: { pathPattern: /ask, methods: [GET] }
    permissions: [core.llm.generate]
`;
const ASK = `import { mcp } from "kiln:sdk";
export async function ask(req: { httpDetails: { queryParameters: Record<string, string> } }) {
  try {
    return await mcp.call("core.llm.generate", { prompt: req.httpDetails.queryParameters.q });
  } catch (err) {
    return { error: String((err as Error).message) };
  }
}
`;

/** An app whose one component asks `core.llm.generate` the question in `?q=`. */
async function askerApp(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kiln-dev-llm-" });
  await Deno.mkdir(join(dir, "state/code"), { recursive: true });
  await Deno.writeTextFile(
    join(dir, "state/app_definition.yaml"),
    "appId: asker\ndisplayName: Asker\nversion: 0.1.0\n",
  );
  await Deno.writeTextFile(join(dir, "state/component_registry.yaml"), ASKER_REGISTRY);
  await Deno.writeTextFile(join(dir, "state/code/ask.ts"), ASK);
  return dir;
}

// deno-lint-ignore no-explicit-any -- the component's JSON answer
async function ask(url: string, q: string): Promise<any> {
  const res = await fetch(`${url}/apps/asker/ask?q=${encodeURIComponent(q)}`);
  assert.equal(res.status, 200);
  return await res.json();
}

Deno.test("kiln dev --record records calls into the app's cassettes; kiln dev replays them", async () => {
  const dir = await askerApp();
  try {
    const cassettePath = join(dir, "cassettes/default.cassette.json");

    // --record: the call goes to the live provider (an OpenAI-wire stand-in) and is recorded.
    const wire = serveWire(() => json(openAiAnswer("Hello from the wire")));
    let dev = await startDev(
      dir,
      ["--record", "--provider", "openai", "--model", "wire-model", "--base-url", `${wire.url}/v1`],
      { OPENAI_API_KEY: "sk-test-dev" },
    );
    try {
      await dev.waitFor(/^LLM: recording calls to openai wire-model /);
      const live = await ask(dev.url, "Say hello");
      assert.equal(live.completion, "Hello from the wire", JSON.stringify(live));
      assert.deepEqual(live.provenance, { kind: "live", provider: "openai" });
      assert.equal(wire.seen.length, 1);
      assert.equal(wire.seen[0].headers.get("authorization"), "Bearer sk-test-dev");
    } finally {
      assert.equal(await dev.stop(), 0, dev.err.join("\n"));
      await wire.close();
    }
    const cassette = JSON.parse(await Deno.readTextFile(cassettePath));
    assert.equal(cassette.entries.length, 1);
    assert.equal(cassette.entries[0].request.model, "wire-model");

    // Replay (the default), with the provider gone: the recording answers, labelled as one; a
    // call never recorded is refused; an edited cassette answers at once.
    dev = await startDev(dir);
    try {
      await dev.waitFor(/^LLM: replaying 1 recorded calls from /);
      const replayed = await ask(dev.url, "Say hello");
      assert.equal(replayed.completion, "Hello from the wire");
      assert.equal(replayed.provenance.kind, "recording");
      assert.match((await ask(dev.url, "Something else")).error, /no recording answers this call/);

      cassette.entries[0].result.text = "Hello, edited";
      await Deno.writeTextFile(cassettePath, JSON.stringify(cassette));
      const deadline = Date.now() + 20_000;
      while ((await ask(dev.url, "Say hello")).completion !== "Hello, edited") {
        assert.ok(Date.now() < deadline, "the edited cassette never answered");
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      assert.equal(await dev.stop(), 0, dev.err.join("\n"));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kiln dev refuses a folder with no app and flags that need --record", async () => {
  const empty = await Deno.makeTempDir({ prefix: "kiln-dev-empty-" });
  try {
    const noApp = await kiln(["dev", empty, "--port", "0"]);
    assert.equal(noApp.code, 2);
    assert.match(noApp.stderr, /is not an app directory: it has no state\/ folder/);
    const stray = await kiln(["dev", empty, "--model", "m"]);
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /--provider, --model and --base-url go with --record/);
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});
