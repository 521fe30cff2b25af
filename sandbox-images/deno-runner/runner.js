// Kiln Deno runner: the `/execute` server of the container tier (contract §5), the container's pid 1.
// It listens on a Unix socket in the bind-mounted directory Kiln shares with the container and runs
// each JIT task in a fresh, permissionless Deno process (one spare is kept started, holding no
// one's code, so a warm execution pays no start-up). The container runs one task at a time: when
// a task ends every other process is killed and reaped, /tmp, /dev/shm and System V IPC are
// emptied and only then does the answer go out, so nothing of one execution is there for the next;
// a container that cannot be brought back says so (`recycle`) and Kiln replaces it. The runner is
// non-dumpable, so nothing of the same uid can read its memory (past requests, their tokens) or
// trace it. Tool calls go to Kiln's `/mcp` over the second socket with the execution's token.
import { builtinModules } from "node:module";
import {
  killAll,
  memoryOf,
  oomFirst,
  oomKills,
  removeIpc,
  survivors,
  undumpable,
  wipe,
} from "./container.js";
import { runCommand } from "./command.js";
import { Lines, nestsDeeper, Tail } from "./output.js";

undumpable();

const DIR = Deno.env.get("KILN_SOCKET_DIR") ?? "/kiln";
const GUEST = Deno.env.get("KILN_GUEST_SCRIPT") ?? new URL("./guest.js", import.meta.url).pathname;
const TMP = Deno.env.get("TMPDIR") ?? "/tmp";
/** The runner's own files under /tmp, written afresh after each task's wipe. */
const OWN = `${TMP}/.kiln-runner`;
const SOCKET = `${DIR}/runner.sock`;
const MCP_SOCKET = `${DIR}/mcp.sock`;
const LOG_CAP = 1 << 20;
/** Framing and console bytes allowed on top of the result and log budgets. */
const SLACK = 64 << 10;
const CLEANUP_MS = 2_000;
const MEMORY_POLL_MS = 20;
/** Writable address space a new thread (a Worker's isolate) reserves without using it. */
const THREAD_DATA = 1 << 30;
const MB = 1 << 20;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// Node built-ins are importable without permissions; the guests' import map turns each into a throw.
const importMap = `${OWN}/guest-imports.json`;
const refuse = "data:text/javascript,throw new Error('node built-in modules are not available')";
const builtins = builtinModules.flatMap((m) => m.startsWith("node:") ? [m] : [m, `node:${m}`]);
const importMapText = JSON.stringify({
  imports: Object.fromEntries(builtins.map((m) => [m, refuse])),
});

/**
 * (Re)creates the runner's files in /tmp after the wipe: whatever ran before (a command's
 * descendants) may have replaced them, so they are written afresh rather than kept.
 */
function ownFiles() {
  Deno.mkdirSync(`${OWN}/deno-guest`, { recursive: true });
  Deno.writeTextFileSync(importMap, importMapText);
}
ownFiles();

function guestArgs(memoryMb) {
  return [
    "run",
    "--no-prompt",
    "--no-config",
    "--no-lock",
    "--no-remote",
    "--no-npm",
    "--no-code-cache",
    "--quiet",
    `--import-map=${importMap}`,
    `--v8-flags=--max-old-space-size=${memoryMb}`,
    GUEST,
  ];
}

/** Children Deno itself spawned (and reaps); any other child is an orphan the runner reaps. */
const ours = new Set();

class Guest {
  constructor(memoryMb) {
    this.memoryMb = memoryMb;
    this.child = new Deno.Command(Deno.execPath(), {
      args: guestArgs(memoryMb),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env: { DENO_DIR: `${OWN}/deno-guest`, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    }).spawn();
    this.pid = this.child.pid;
    this.exited = false;
    track(this.child, () => (this.exited = true));
    oomFirst(this.pid);
    this.stdin = this.child.stdin.getWriter();
  }
  write(message) {
    return this.stdin.write(encoder.encode(JSON.stringify(message) + "\n")).catch(() => {});
  }
}

function stop(child) {
  try {
    child.kill("SIGKILL");
  } catch { /* exited */ }
}

function track(child, onExit) {
  ours.add(child.pid);
  child.status.then(() => {
    ours.delete(child.pid);
    onExit?.();
  });
}

let spare = null;
/** The started spare guest (or a new one when its heap size differs). */
function takeGuest(memoryMb) {
  let guest = spare;
  spare = null;
  if (!guest || guest.exited || guest.memoryMb !== memoryMb) {
    if (guest) stop(guest.child);
    guest = new Guest(memoryMb);
  }
  return guest;
}

const mcpClient = Deno.createHttpClient({ proxy: { transport: "unix", path: MCP_SOCKET } });
let rpcId = 1;

/** One `tools/call` on Kiln's `/mcp`, with the execution's token; rejects with {code, message}. */
async function callTool(token, tool, params) {
  const res = await fetch("http://kiln/mcp", {
    method: "POST",
    client: mcpClient,
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${token}`,
      "mcp-protocol-version": "2025-11-25",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: rpcId++,
      method: "tools/call",
      params: { name: tool, arguments: params ?? {} },
    }),
  });
  const text = await res.text();
  let message;
  if ((res.headers.get("content-type") ?? "").includes("text/event-stream")) {
    const data = text.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5));
    message = data.map((d) => JSON.parse(d)).find((m) => "result" in m || "error" in m);
  } else {
    try {
      message = JSON.parse(text);
    } catch {
      throw { code: "INTERNAL", message: `MCP answered ${res.status}: ${text.slice(0, 200)}` };
    }
  }
  if (!message) throw { code: "INTERNAL", message: `MCP answered ${res.status} without a result` };
  if (message.error) {
    const code = message.error.data?.code ?? (res.status === 401 ? "UNAUTHORIZED" : "INTERNAL");
    throw { code, message: message.error.message };
  }
  const result = message.result;
  if (result.isError) {
    const body = result.content?.find((c) => c.type === "text")?.text ?? "";
    try {
      const error = JSON.parse(body).error;
      throw { code: String(error.code), message: String(error.message) };
    } catch (err) {
      if (err && err.code) throw err;
      throw { code: "INTERNAL", message: body };
    }
  }
  return result.structuredContent ?? null;
}

function killed(reason, message, details = {}) {
  return {
    status: reason === "timeout" ? 504 : 500,
    body: {
      error: {
        code: reason === "timeout" ? "EXECUTION_TIMEOUT" : "SANDBOX_KILLED",
        message,
        details: { ...details, reason },
      },
    },
  };
}

const LEVELS = new Set(["debug", "info", "warn", "error"]);

/** Runs one JIT task in a fresh guest; resolves to {status, body}. */
async function execute(request) {
  const started = performance.now();
  const { code, limits = {} } = request;
  const timeoutMs = limits.timeoutMs ?? 10_000;
  const maxOutput = limits.maxOutputBytes ?? 4 << 20;
  const maxDepth = request.maxJsonDepth ?? 128;
  const guest = takeGuest(limits.memoryMb ?? 128);
  const token = request.context?.mcp_token ?? "";
  const ooms = oomKills();
  const logs = [];
  let logBytes = 0;
  let total = 0;
  const budget = maxOutput + LOG_CAP + SLACK;
  let settled = false;
  let settle;
  const done = new Promise((resolve) => (settle = resolve));
  const finish = (outcome) => {
    if (settled) return;
    settled = true;
    settle(outcome);
  };
  const timer = setTimeout(
    () => finish(killed("timeout", `ran past its ${timeoutMs} ms deadline`)),
    timeoutMs,
  );
  // Growth is counted from when the guest has its job (a spare may still be starting before).
  let baseline = null;
  const memoryLimit = guest.memoryMb * MB;
  const poll = setInterval(() => {
    const now = memoryOf(guest.pid);
    if (!baseline || !now) return;
    const threads = Math.max(0, now.threads - baseline.threads);
    const allocated = now.data - baseline.data - threads * THREAD_DATA;
    const grown = Math.max(now.rss - baseline.rss, allocated);
    if (grown > memoryLimit) {
      finish(
        killed("memory", `grew by more than ${guest.memoryMb} MB`, { governedBy: "component" }),
      );
    }
  }, MEMORY_POLL_MS);
  const count = (n) => {
    total += n;
    if (total > budget) finish(killed("output", `wrote more than ${budget} bytes`));
  };
  const logged = (n) => {
    logBytes += n;
    if (logBytes > LOG_CAP) finish(killed("output", `logged more than ${LOG_CAP} bytes`));
  };
  const answer = (body) => {
    body.requestId = request.requestId;
    body.metrics = {
      execution_time_ms: Math.round((performance.now() - started) * 1000) / 1000,
      mcp_calls: [],
    };
    body.logs = logs;
    finish({ status: 200, body });
  };
  let result = null;
  const onLine = (line) => {
    if (result?.ok) {
      if (line.length > maxOutput) {
        return finish(killed("output", `returned more than ${maxOutput} bytes`));
      }
      if (nestsDeeper(line, maxDepth)) {
        return finish(
          killed("output", `returned a result nested deeper than ${maxDepth}`, {
            limit: "json.depth",
          }),
        );
      }
      return answer({ resultType: "generic", data: JSON.parse(decoder.decode(line)) });
    }
    let m;
    try {
      m = JSON.parse(decoder.decode(line));
    } catch {
      return;
    }
    if (m?.t === "log") {
      logged(line.length);
      logs.push({
        level: LEVELS.has(m.level) ? m.level : "info",
        message: String(m.message),
        // A log's fields sit three levels down in the answer: two less than a result may nest.
        fields: m.fields && typeof m.fields === "object" && !nestsDeeper(line, maxDepth - 1)
          ? m.fields
          : undefined,
        source: m.source === "console" ? "console" : "sdk",
      });
    } else if (m?.t === "call") {
      callTool(token, m.tool, m.params).then(
        (value) => guest.write({ t: "reply", id: m.id, value }),
        (err) =>
          guest.write({
            t: "reply",
            id: m.id,
            error: { code: err?.code ?? "INTERNAL", message: String(err?.message ?? err) },
          }),
      );
    } else if (m?.t === "started") {
      baseline ??= memoryOf(guest.pid);
    } else if (m?.t === "result") {
      result = m;
      if (!m.ok) {
        answer({
          resultType: "error",
          data: { code: String(m.code), message: String(m.message) },
        });
      }
    } else if (m?.t === "killed" && m.reason === "output") {
      const limit = m.limit === "json.depth" ? { limit: "json.depth" } : {};
      finish(killed("output", "returned a result too large or nested too deeply", limit));
    }
  };
  const stdout = (async () => {
    const lines = new Lines();
    for await (const chunk of guest.child.stdout) {
      count(chunk.length);
      if (settled) return;
      for (const line of lines.feed(chunk)) {
        onLine(line);
        if (settled) return;
      }
      if (lines.pending > maxOutput + SLACK) {
        return finish(killed("output", `wrote a line longer than ${maxOutput + SLACK} bytes`));
      }
    }
  })();
  const stderr = new Tail(8192);
  const errors = (async () => {
    for await (const chunk of guest.child.stderr) {
      count(chunk.length);
      if (settled) return;
      stderr.push(chunk);
    }
  })();
  stdout.catch(() => {});
  errors.catch(() => {});
  guest.child.status.then(async (status) => {
    await Promise.allSettled([stdout, errors]);
    const tail = stderr.text();
    if (/out of memory|heap limit|allocation failed/i.test(tail)) {
      return finish(
        killed("memory", `exceeded its ${guest.memoryMb} MB heap`, { governedBy: "component" }),
      );
    }
    const now = oomKills();
    if (status.signal === "SIGKILL" && ooms !== null && now !== null && now > ooms) {
      return finish(killed("memory", "the container ran out of memory", { governedBy: "pool" }));
    }
    finish(
      killed("crash", `the guest exited with ${status.signal ?? status.code}: ${tail.slice(-300)}`),
    );
  });
  await guest.write({
    t: "job",
    source: code.source,
    entry: code.entry,
    requestData: request.requestData,
    context: request.context,
  });
  const outcome = await done;
  clearTimeout(timer);
  clearInterval(poll);
  stop(guest.child);
  return outcome;
}

let unhealthy = null;
let socketInode = null;
let lastMemoryMb = Number(Deno.env.get("KILN_GUEST_MEMORY_MB") ?? 128);

/**
 * Kills and reaps every other process, empties the shared places, starts the next spare.
 * Resolves to why the container cannot be trusted with another execution, or null.
 */
async function cleanup() {
  spare = null;
  const until = Date.now() + CLEANUP_MS;
  for (;;) {
    killAll();
    const left = survivors(ours);
    if (!left.length) break;
    if (Date.now() > until) return `processes survived the cleanup: ${left.slice(0, 8)}`;
    await new Promise((r) => setTimeout(r, 1));
  }
  const why = wipe(TMP) ?? wipe("/dev/shm") ?? removeIpc();
  if (why) return why;
  try {
    ownFiles();
    spare = new Guest(lastMemoryMb);
  } catch (err) {
    return `cannot start a guest: ${err.message}`;
  }
  try {
    if (Deno.statSync(SOCKET).ino !== socketInode) return "the runner's socket was replaced";
  } catch (err) {
    return `the runner's socket is gone: ${err.message}`;
  }
  return null;
}

/** Cleans up, then answers; a container that could not be cleaned asks to be replaced. */
async function after(outcome) {
  unhealthy ??= await cleanup();
  if (unhealthy) outcome.body.recycle = unhealthy;
  return outcome;
}

let busy = 0;
const json = (status, body) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

try {
  Deno.removeSync(SOCKET);
} catch { /* none */ }
spare = new Guest(lastMemoryMb);
Deno.serve({
  path: SOCKET,
  onListen() {
    Deno.chmodSync(SOCKET, 0o666);
    socketInode = Deno.statSync(SOCKET).ino;
  },
}, async (req) => {
  const { pathname } = new URL(req.url);
  if (pathname === "/healthz") {
    if (unhealthy) return json(503, { ok: false, runner: "deno", why: unhealthy });
    return json(200, { ok: true, runner: "deno", busy });
  }
  if (req.method !== "POST") {
    return json(405, { error: { code: "METHOD_NOT_ALLOWED", message: req.method } });
  }
  let body;
  try {
    body = await req.json();
  } catch (err) {
    return json(400, { error: { code: "BAD_REQUEST", message: `malformed JSON: ${err.message}` } });
  }
  if (pathname !== "/execute" && pathname !== "/command") {
    return json(404, { error: { code: "NOT_FOUND", message: pathname } });
  }
  if (
    pathname === "/execute" &&
    (!body?.code || typeof body.code.source !== "string" || typeof body.code.entry !== "string")
  ) {
    return json(400, {
      error: { code: "BAD_REQUEST", message: "code.source and code.entry are required" },
    });
  }
  if (busy > 0) return json(429, { error: { code: "OVERLOADED", message: "this runner is busy" } });
  busy++;
  try {
    if (pathname === "/execute") {
      lastMemoryMb = body.limits?.memoryMb ?? lastMemoryMb;
      let outcome;
      try {
        outcome = await execute(body);
      } catch (err) { // no guest could be started: fork or pipes failed
        outcome = killed("crash", `cannot start a guest: ${err.message ?? err}`);
      }
      const { status, body: out } = await after(outcome);
      return json(status, out);
    }
    // No spare lives beside a command: a command's code could trace it and wait for a job.
    if (spare) stop(spare.child);
    spare = null;
    let out;
    try {
      out = await runCommand(body, { track, stop });
    } catch (err) {
      out = {
        exitCode: 127,
        stdout: "",
        stderr: String(err.message ?? err),
        timedOut: false,
        truncated: false,
        spawnError: true,
      };
    }
    return json(200, (await after({ status: 200, body: out })).body);
  } finally {
    busy--;
  }
});
