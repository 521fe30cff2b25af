// Kiln Deno runner: the `/execute` server of the container tier (SPEC §5). It listens on a Unix
// socket in the bind-mounted directory Kiln shares with the container and runs each JIT task in a
// fresh, permissionless Deno process (one spare is kept started, so a warm execution pays no
// start-up). Tool calls go to Kiln's `/mcp` over the second socket with the execution's token.
import { builtinModules } from "node:module";

const DIR = Deno.env.get("KILN_SOCKET_DIR") ?? "/kiln";
const GUEST = Deno.env.get("KILN_GUEST_SCRIPT") ?? new URL("./guest.js", import.meta.url).pathname;
const TMP = Deno.env.get("TMPDIR") ?? "/tmp";
const SOCKET = `${DIR}/runner.sock`;
const MCP_SOCKET = `${DIR}/mcp.sock`;
const LOG_CAP = 1 << 20;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// Node built-ins are importable without permissions; the guests' import map turns each into a throw.
const importMap = `${TMP}/kiln-guest-imports.json`;
const refuse = "data:text/javascript,throw new Error('node built-in modules are not available')";
const builtins = builtinModules.flatMap((m) => m.startsWith("node:") ? [m] : [m, `node:${m}`]);
Deno.writeTextFileSync(
  importMap,
  JSON.stringify({ imports: Object.fromEntries(builtins.map((m) => [m, refuse])) }),
);

function guestArgs(memoryMb) {
  return [
    "run",
    "--no-prompt",
    "--no-config",
    "--no-lock",
    "--no-remote",
    "--no-npm",
    "--quiet",
    `--import-map=${importMap}`,
    `--v8-flags=--max-old-space-size=${memoryMb}`,
    GUEST,
  ];
}

class Guest {
  constructor(memoryMb) {
    this.memoryMb = memoryMb;
    this.child = new Deno.Command(Deno.execPath(), {
      args: guestArgs(memoryMb),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env: { DENO_DIR: `${TMP}/deno-guest`, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    }).spawn();
    this.stdin = this.child.stdin.getWriter();
    this.stderr = "";
    (async () => {
      for await (const chunk of this.child.stderr) {
        if (this.stderr.length < 65536) this.stderr += decoder.decode(chunk);
      }
    })().catch(() => {});
  }
  write(message) {
    return this.stdin.write(encoder.encode(JSON.stringify(message) + "\n")).catch(() => {});
  }
  kill() {
    try {
      this.child.kill("SIGKILL");
    } catch { /* already gone */ }
  }
}

let spare = null;
let spareTimer = null;
/** The started spare guest (or a new one when its heap size differs). */
function takeGuest(memoryMb) {
  let guest = spare;
  spare = null;
  if (!guest || guest.memoryMb !== memoryMb) {
    guest?.kill();
    guest = new Guest(memoryMb);
  }
  return guest;
}
/** Starts the next spare once the answer is out, so it does not compete with the execution. */
function refill(memoryMb, source) {
  clearTimeout(spareTimer);
  spareTimer = setTimeout(() => {
    if (spare) return;
    spare = new Guest(memoryMb);
    spare.write({ t: "preload", source });
  }, 2);
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

function killed(reason, message) {
  return {
    status: reason === "timeout" ? 504 : 500,
    body: {
      error: {
        code: reason === "timeout" ? "EXECUTION_TIMEOUT" : "SANDBOX_KILLED",
        message,
        details: { reason },
      },
    },
  };
}

/** Runs one JIT task in a fresh guest; resolves to {status, body}. */
async function execute(request) {
  const started = performance.now();
  const { code, limits = {} } = request;
  const timeoutMs = limits.timeoutMs ?? 10_000;
  const maxOutput = limits.maxOutputBytes ?? 4 << 20;
  const guest = takeGuest(limits.memoryMb ?? 128);
  const token = request.context?.mcp_token ?? "";
  const logs = [];
  let logBytes = 0;
  let settle;
  const done = new Promise((resolve) => (settle = resolve));
  const timer = setTimeout(
    () => settle(killed("timeout", `ran past its ${timeoutMs} ms deadline`)),
    timeoutMs,
  );
  const reader = (async () => {
    let buffered = "";
    for await (const chunk of guest.child.stdout) {
      buffered += decoder.decode(chunk, { stream: true });
      if (buffered.length > maxOutput + 65536) {
        return settle(killed("output", `produced more than ${maxOutput} bytes of output`));
      }
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let m;
        try {
          m = JSON.parse(line);
        } catch {
          continue;
        }
        if (m.t === "log") {
          logBytes += line.length;
          if (logBytes > LOG_CAP) {
            return settle(killed("output", `logged more than ${LOG_CAP} bytes`));
          }
          logs.push({ level: m.level, message: m.message, fields: m.fields, source: m.source });
        } else if (m.t === "call") {
          callTool(token, m.tool, m.params).then(
            (value) => guest.write({ t: "reply", id: m.id, value }),
            (err) =>
              guest.write({
                t: "reply",
                id: m.id,
                error: { code: err?.code ?? "INTERNAL", message: String(err?.message ?? err) },
              }),
          );
        } else if (m.t === "result") {
          if (m.ok && m.json.length > maxOutput) {
            return settle(killed("output", `produced more than ${maxOutput} bytes of output`));
          }
          const metrics = {
            execution_time_ms: Math.round((performance.now() - started) * 1000) / 1000,
            mcp_calls: [],
          };
          const body = m.ok
            ? {
              requestId: request.requestId,
              resultType: "generic",
              data: JSON.parse(m.json),
              metrics,
              logs,
            }
            : {
              requestId: request.requestId,
              resultType: "error",
              data: { code: m.code, message: m.message },
              metrics,
              logs,
            };
          return settle({ status: 200, body });
        }
      }
    }
  })();
  reader.catch(() => {});
  guest.child.status.then(async (status) => {
    await reader.catch(() => {});
    await new Promise((r) => setTimeout(r, 5));
    const oom = /out of memory|heap limit|allocation failed/i.test(guest.stderr);
    if (oom) return settle(killed("memory", `exceeded its ${guest.memoryMb} MB memory limit`));
    settle(
      killed(
        "crash",
        `the guest exited with ${status.signal ?? status.code}: ${guest.stderr.slice(-300)}`,
      ),
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
  guest.kill();
  refill(guest.memoryMb, code.source);
  return outcome;
}

/** `core.linux.executeCommand` inside the container: argv only, no shell, clean env, caps. */
async function command(req) {
  const {
    command,
    arguments: args = [],
    stdin,
    timeoutMs = 30_000,
    maxOutputBytes = 1 << 20,
    allowlist = [],
  } = req;
  // Kiln checked the allowlist; the runner checks again, and refuses a path that is (or passes
  // through) a symlink, so an allowlisted name cannot be pointed at another program.
  if (!allowlist.includes(command)) return { refused: `${command} is not allowlisted` };
  let real;
  try {
    real = Deno.realPathSync(command);
  } catch (err) {
    return { exitCode: 127, stdout: "", stderr: String(err.message), timedOut: false };
  }
  if (real !== command) return { refused: `${command} resolves through a symlink to ${real}` };
  const child = new Deno.Command(command, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: { PATH: "/usr/bin:/bin", HOME: TMP, LANG: "C.UTF-8" },
    cwd: TMP,
  }).spawn();
  let timedOut = false;
  let truncated = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, timeoutMs);
  const collect = async (stream) => {
    const parts = [];
    let size = 0;
    for await (const chunk of stream) {
      if (size >= maxOutputBytes) {
        truncated = true;
        continue;
      }
      const room = maxOutputBytes - size;
      if (chunk.length > room) truncated = true;
      parts.push(chunk.subarray(0, room));
      size += Math.min(room, chunk.length);
    }
    const all = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return decoder.decode(all);
  };
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    w.write(encoder.encode(stdin)).then(() => w.close()).catch(() => {});
  }
  const [stdout, stderr, status] = await Promise.all([
    collect(child.stdout),
    collect(child.stderr),
    child.status,
  ]);
  clearTimeout(timer);
  return {
    exitCode: status.code ?? 128,
    signal: status.signal,
    stdout,
    stderr,
    timedOut,
    truncated,
  };
}

let busy = 0;
const json = (status, body) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

try {
  Deno.removeSync(SOCKET);
} catch { /* none */ }
spare = new Guest(Number(Deno.env.get("KILN_GUEST_MEMORY_MB") ?? 128));
Deno.serve({
  path: SOCKET,
  onListen() {
    Deno.chmodSync(SOCKET, 0o666);
  },
}, async (req) => {
  const { pathname } = new URL(req.url);
  if (pathname === "/healthz") return json(200, { ok: true, runner: "deno", busy });
  if (req.method !== "POST") {
    return json(405, { error: { code: "METHOD_NOT_ALLOWED", message: req.method } });
  }
  let body;
  try {
    body = await req.json();
  } catch (err) {
    return json(400, { error: { code: "BAD_REQUEST", message: `malformed JSON: ${err.message}` } });
  }
  if (pathname === "/execute") {
    if (
      !body?.code || typeof body.code.source !== "string" || typeof body.code.entry !== "string"
    ) {
      return json(400, {
        error: { code: "BAD_REQUEST", message: "code.source and code.entry are required" },
      });
    }
    if (busy > 0) {
      return json(429, { error: { code: "OVERLOADED", message: "this runner is busy" } });
    }
    busy++;
    try {
      const { status, body: out } = await execute(body);
      return json(status, out);
    } finally {
      busy--;
    }
  }
  if (pathname === "/command") {
    try {
      return json(200, await command(body));
    } catch (err) {
      return json(200, {
        exitCode: 127,
        stdout: "",
        stderr: String(err.message ?? err),
        timedOut: false,
        truncated: false,
        spawnError: true,
      });
    }
  }
  return json(404, { error: { code: "NOT_FOUND", message: pathname } });
});
