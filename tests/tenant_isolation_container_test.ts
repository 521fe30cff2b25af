/**
 * Tenant-isolation attacks on the container tier, through a real `kiln serve` with Docker: one
 * Kiln, one attacker app whose Python and Deno pools hold a single container each (so every
 * attack lands in the container the next execution reuses), and the isolate-tier bystander.
 * Each step shows the attacker gets a structured error (or nothing of value), the bystander is
 * unaffected, the attacker's app serves again, and nothing of one execution reaches the next.
 */
import assert from "node:assert/strict";
import {
  assertError,
  type AttackKiln,
  fetchJson,
  startAttackKiln,
  underAttack,
} from "./_support/attack.ts";
import { dockerTests } from "./_support/containers.ts";

const { ignore } = await dockerTests();

const COMPONENTS: [id: string, pool: "py" | "js", extra?: string][] = [
  ["ok", "py"],
  ["forker", "py"],
  ["probe", "py"],
  ["sibling", "py", "permissions: [core.state.setRuntimeValue]"],
  ["reader", "py"],
  ["flood", "py"],
  ["printFlood", "py"],
  ["bigResult", "py"],
  ["deepResult", "py"],
  ["pyMemory", "py", "limits: { memoryMb: 64, timeoutMs: 20000 }"],
  ["deepTree", "py"],
  ["mcpDeep", "py"],
  ["jsOk", "js"],
  ["jsPreload", "js"],
  ["jsVictim", "js", "permissions: [core.state.setRuntimeValue]"],
  ["jsFlood", "js"],
  ["jsErrFlood", "js"],
  ["jsDeep", "js"],
  ["jsBuffers", "js", "limits: { memoryMb: 64, timeoutMs: 20000 }"],
  ["jsHuge", "js", "limits: { memoryMb: 2048, timeoutMs: 20000 }"],
];

const PY = `import os, re, socket, sys, time

def ok(request_data, context):
    return {"ok": True}

def forker(request_data, context):
    for _ in range(50):
        if os.fork() == 0:
            os._exit(0)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            while True:
                try:
                    with open("/tmp/survivor", "a") as f:
                        f.write("x")
                except OSError:
                    pass
                time.sleep(0.02)
        os._exit(0)
    time.sleep(0.2)
    return {"forked": 51}

def probe(request_data, context):
    me = os.getpid()
    others = []
    for p in os.listdir("/proc"):
        if p.isdigit() and int(p) != me:
            try:
                stat = open("/proc/%s/stat" % p).read()
            except OSError:
                continue
            others.append(stat[stat.index("(") + 1:stat.rindex(")")] + ":" + stat[stat.rindex(")") + 2])
    try:
        for _ in range(20):
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            os.waitpid(pid, 0)
        fork = "ok"
    except OSError as e:
        fork = e.strerror
    shm = sorted(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else []
    return {"others": sorted(others), "tmp": sorted(os.listdir("/tmp")), "shm": shm, "fork": fork,
            "host": socket.gethostname()}

def sibling(request_data, context):
    return {"sibling": True}

TOKEN = re.compile(rb"kiln_exec_[A-Za-z0-9_-]+[.][A-Za-z0-9_-]{43}")

def reader(request_data, context):
    mine = context["mcp_token"].encode()
    found, errors = set(), {}
    pids = [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()] + ["self"]
    for pid in pids:
        try:
            found.update(TOKEN.findall(open("/proc/%s/environ" % pid, "rb").read()))
        except OSError as e:
            errors[pid + "/environ"] = e.strerror
        try:
            os.listdir("/proc/%s/fd" % pid)
        except OSError as e:
            errors[pid + "/fd"] = e.strerror
        try:
            maps = open("/proc/%s/maps" % pid).read().splitlines()
            with open("/proc/%s/mem" % pid, "rb", 0) as mem:
                for line in maps:
                    fields = line.split()
                    if not fields[1].startswith("rw"):
                        continue
                    start, end = (int(x, 16) for x in fields[0].split("-"))
                    at = start
                    while at < end:
                        try:
                            mem.seek(at)
                            chunk = mem.read(min(1 << 20, end - at) + 256)
                        except (OSError, ValueError, OverflowError):
                            break
                        found.update(TOKEN.findall(chunk or b""))
                        at += 1 << 20
        except OSError as e:
            errors[pid + "/mem"] = e.strerror
    return {"tokens": sorted(t.decode() for t in found if t != mine), "errors": errors}

def flood(request_data, context):
    chunk = b"x" * (1 << 20)
    for _ in range(150):
        os.write(1, chunk)
    return {"flooded": True}

def printFlood(request_data, context):
    chunk = "y" * (1 << 20)
    for _ in range(150):
        sys.stderr.write(chunk)
    return {"flooded": True}

def bigResult(request_data, context):
    return "x" * (8 << 20)

def deepResult(request_data, context):
    value = []
    for _ in range(300):
        value = [value]
    return value

def pyMemory(request_data, context):
    keep = []
    while True:
        keep.append(bytearray(8 << 20))

def deepTree(request_data, context):
    os.chdir("/tmp")
    for _ in range(100):
        os.mkdir("d")
        os.chdir("d")
    return {"deep": 100}
`;

const PY_MCP_DEEP = `
def mcpDeep(request_data, context):
    body = ("[" * (2 << 20) + "]" * (2 << 20)).encode()
    head = ("POST /mcp HTTP/1.1\\r\\nHost: kiln\\r\\nAuthorization: Bearer %s\\r\\n"
            "Content-Type: application/json\\r\\nContent-Length: %d\\r\\n"
            "Connection: close\\r\\n\\r\\n" % (context["mcp_token"], len(body))).encode()
    seen = []
    for _ in range(8):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect("/kiln/mcp.sock")
        s.sendall(head + body)
        answer = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
        seen.append(answer.split(b"\\r\\n")[0].decode())
    return seen
`;

const JS: Record<string, string> = {
  jsOk: `export function jsOk() { return { ok: true }; }`,
  // Top-level code: in a spare preloaded with this module it would keep running into the next
  // job, and its calls would go out with that job's token.
  jsPreload: `import { mcp } from "kiln:sdk";
setInterval(() => {
  mcp.call("core.state.setRuntimeValue", { key: "stolenBySpare", value: 1 }).catch(() => {});
}, 2);
export function jsPreload() { return { preloaded: true }; }`,
  jsVictim: `export async function jsVictim() {
  await new Promise((r) => setTimeout(r, 300));
  return { victim: true };
}`,
  jsFlood: `export function jsFlood() {
  const chunk = new Uint8Array(1 << 20).fill(120);
  for (let i = 0; i < 150; i++) Deno.stdout.writeSync(chunk);
  return { flooded: true };
}`,
  jsErrFlood: `export function jsErrFlood() {
  const chunk = new Uint8Array(1 << 20).fill(121);
  for (let i = 0; i < 150; i++) Deno.stderr.writeSync(chunk);
  return { flooded: true };
}`,
  jsDeep: `export function jsDeep() {
  let value: unknown = [];
  for (let i = 0; i < 300; i++) value = [value];
  return value;
}`,
  jsBuffers: `export function jsBuffers() {
  const keep: Uint8Array[] = [];
  for (;;) keep.push(new Uint8Array(8 << 20).fill(1));
}`,
  jsHuge: `export function jsHuge() {
  const keep: Uint8Array[] = [];
  for (;;) keep.push(new Uint8Array(8 << 20).fill(1));
}`,
};

function attackerApp(): Record<string, string> {
  const entries = COMPONENTS.map(([id, pool, extra]) => {
    const task = pool === "py"
      ? `{ script: code/attacks.py, function: ${id}, language: python }`
      : `{ script: code/${id}.ts, function: ${id}, language: typescript }`;
    return `  - componentId: ${id}
    handlerType: jit
    runtime: container
    targetPoolName: ${pool}
    taskDetails: ${task}
    routeMatcher: { pathPattern: /${id}, methods: [GET] }
${extra ? `    ${extra}\n` : ""}`;
  });
  return {
    "app_definition.yaml": `appId: attacker
displayName: attacker
version: 1.0.0
sandboxPools:
  pools:
    - poolName: py
      dockerImage: "kiln/python-runner:0.1.0"
      minInstances: 1
      maxInstances: 1
      resourceLimits: { cpuLimit: 0.5 }
    - poolName: js
      dockerImage: "kiln/deno-runner:0.1.0"
      minInstances: 1
      maxInstances: 1
      resourceLimits: { cpuLimit: 0.5 }
`,
    "component_registry.yaml": `components:\n${entries.join("")}`,
    "code/attacks.py": PY + PY_MCP_DEEP,
    ...Object.fromEntries(Object.entries(JS).map(([id, src]) => [`code/${id}.ts`, src + "\n"])),
  };
}

const call = (kiln: AttackKiln, id: string) => fetchJson(kiln, `/apps/attacker/${id}`);

async function ok(kiln: AttackKiln, id: string) {
  const res = await call(kiln, id);
  assert.equal(res.status, 200, `${id}: ${JSON.stringify(res.json)}`);
  return res.json;
}

/** The server process's resident memory (kB), found by its data dir. */
async function serverRssKb(kiln: AttackKiln): Promise<number> {
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const cmd = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
    if (cmd.includes(kiln.dataDir) && cmd.includes("serve")) {
      const status = await Deno.readTextFile(`/proc/${e.name}/status`);
      return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
    }
  }
  throw new Error("kiln serve not found");
}

Deno.test({
  name: "container tier: one tenant's guests cannot outlive, read, flood or outgrow their sandbox",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const kiln = await startAttackKiln();
    try {
      await kiln.register(attackerApp());
      await ok(kiln, "ok");
      await ok(kiln, "jsOk");

      await t.step("zombies and setsid survivors are gone after the execution", async () => {
        await underAttack(kiln, async () => {
          assert.deepEqual(await ok(kiln, "forker"), { forked: 51 });
        });
        const seen = await ok(kiln, "probe");
        assert.equal(seen.fork, "ok", JSON.stringify(seen));
        assert.equal(seen.others.length, 1, `only the runner is left: ${JSON.stringify(seen)}`);
        assert.deepEqual(seen.tmp, [], "the survivor wrote on after its execution");
      });

      await t.step("a guest cannot read the runner's or a sibling's memory or tokens", async () => {
        await ok(kiln, "sibling");
        const { result } = await underAttack(kiln, () => ok(kiln, "reader"));
        for (const token of result.tokens as string[]) {
          const res = await kiln.fetch("/mcp", {
            method: "POST",
            headers: {
              authorization: `Bearer ${token}`,
              "content-type": "application/json",
              accept: "application/json, text/event-stream",
              "mcp-protocol-version": "2025-11-25",
            },
            body: JSON.stringify({
              jsonrpc: "2.0",
              id: 1,
              method: "tools/call",
              params: { name: "core.state.setRuntimeValue", arguments: { key: "k", value: 1 } },
            }),
          });
          const text = await res.text();
          assert.ok(!/"isError":false|structuredContent/.test(text), `token worked: ${text}`);
        }
        assert.deepEqual(result.tokens, [], JSON.stringify(result.errors));
        for (const what of ["1/mem", "1/environ", "1/fd"]) {
          assert.ok(result.errors[what], `${what} was readable: ${JSON.stringify(result.errors)}`);
        }
      });

      await t.step("a spare guest never runs or holds another component's code", async () => {
        await ok(kiln, "jsPreload");
        await ok(kiln, "jsVictim");
        const stolen = await kiln.api("GET", "/v1/apps/attacker/runtime/stolenBySpare");
        assert.equal(stolen.status, 200, JSON.stringify(stolen.json));
        assert.equal(stolen.json.found, false, `the spare acted: ${JSON.stringify(stolen.json)}`);
      });

      await t.step(
        "output floods and huge or deep results are cut with reason output",
        async () => {
          const before = await serverRssKb(kiln);
          for (const id of ["flood", "printFlood", "bigResult", "jsFlood", "jsErrFlood"]) {
            const { result } = await underAttack(kiln, () => call(kiln, id));
            assertError(result, 500, "SANDBOX_KILLED", { reason: "output" });
          }
          for (const id of ["deepResult", "jsDeep"]) {
            const res = await call(kiln, id);
            assertError(res, 500, "SANDBOX_KILLED", { reason: "output", limit: "json.depth" });
          }
          const grown = (await serverRssKb(kiln)) - before;
          assert.ok(grown < 64 * 1024, `kiln serve grew by ${grown} kB reading guest output`);
          await ok(kiln, "ok");
          await ok(kiln, "jsOk");
        },
      );

      await t.step("memory over the limit is reason memory and names the limit", async () => {
        for (const id of ["pyMemory", "jsBuffers"]) {
          const { result } = await underAttack(kiln, () => call(kiln, id));
          assertError(result, 500, "SANDBOX_KILLED", { reason: "memory" });
          assert.match(result.json.error.message, /exceeded its 64 MB memory limit/);
        }
        const huge = await call(kiln, "jsHuge");
        assertError(huge, 500, "SANDBOX_KILLED", { reason: "memory", governedBy: "pool" });
        assert.match(huge.json.error.message, /256 MB containers of pool "attacker\/js"/);
        await ok(kiln, "ok");
        await ok(kiln, "jsOk");
      });

      await t.step("deep JSON sent to the MCP socket is refused unparsed", async () => {
        const { result } = await underAttack(kiln, () => ok(kiln, "mcpDeep"));
        assert.deepEqual(result, Array(8).fill("HTTP/1.1 400 Bad Request"));
      });

      await t.step("a container that cannot be cleaned is replaced, not reused", async () => {
        const before = (await ok(kiln, "probe")).host;
        assert.deepEqual(await ok(kiln, "deepTree"), { deep: 100 });
        const seen = await ok(kiln, "probe");
        assert.notEqual(seen.host, before, "the container the guest left a mess in was reused");
        assert.deepEqual(seen.tmp, [], JSON.stringify(seen));
        assert.equal(seen.others.length, 1, JSON.stringify(seen));
      });
    } finally {
      await kiln.stop();
    }
  },
});
