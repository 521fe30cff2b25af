// Kiln Deno runner: one guest execution. Spawned by runner.js with no permissions before there is
// a job (a spare, holding no one's code); reads its job as the first line of stdin, talks to the
// runner in JSON lines (stdout out, stdin in) and exits. A result's JSON follows its `result`
// line as the next line, unescaped (JSON text never holds a raw newline).
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const stdout = Deno.stdout;
const stringify = JSON.stringify;
const parse = JSON.parse;
const GuestError = Error;

function send(message, payload) {
  const line = stringify(message) + "\n";
  let bytes = encoder.encode(payload === undefined ? line : line + payload + "\n");
  while (bytes.length > 0) bytes = bytes.subarray(stdout.writeSync(bytes));
}

const waiting = new Map();
let nextId = 1;
let buffered = "";
let onJob;
const job = new Promise((resolve) => (onJob = resolve));
const load = (source) => import(`data:text/javascript,${encodeURIComponent(source)}`);

(async () => {
  for await (const chunk of Deno.stdin.readable) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const message = parse(line);
      if (message.t === "job") onJob(message);
      else if (message.t === "reply") {
        const pending = waiting.get(message.id);
        waiting.delete(message.id);
        if (!pending) continue;
        if (message.error) {
          const err = new GuestError(message.error.message);
          err.code = message.error.code;
          pending.reject(err);
        } else pending.resolve(message.value);
      }
    }
  }
})();

const text = (value) => {
  if (typeof value === "string") return value;
  if (value instanceof GuestError) return `${value.name}: ${value.message}`;
  try {
    return stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};
const sdkLog = (level) => (message, fields) =>
  send({ t: "log", level, message: String(message), fields, source: "sdk" });
const consoleLog = (level) => (...args) =>
  send({ t: "log", level, message: args.map(text).join(" "), source: "console" });
const call = (tool, params) => {
  const id = nextId++;
  send({ t: "call", id, tool: String(tool), params });
  return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
};

globalThis.__kiln = Object.freeze({
  mcp: Object.freeze({ call }),
  log: Object.freeze({
    debug: sdkLog("debug"),
    info: sdkLog("info"),
    warn: sdkLog("warn"),
    error: sdkLog("error"),
  }),
});
globalThis.console = {
  log: consoleLog("info"),
  info: consoleLog("info"),
  warn: consoleLog("warn"),
  error: consoleLog("error"),
  debug: consoleLog("debug"),
  trace: consoleLog("debug"),
};
globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  send({
    t: "log",
    level: "warn",
    message: `unhandled rejection: ${text(event.reason)}`,
    source: "console",
  });
});

const { source, entry, requestData, context } = await job;
// From here on the runner counts the guest's memory growth against its limit.
send({ t: "started" });
try {
  const namespace = await load(source);
  const fn = namespace[entry];
  if (typeof fn !== "function") {
    throw new GuestError(`the bundle does not export ${stringify(entry)} as a function`);
  }
  const value = await fn(requestData, context);
  let json;
  try {
    json = stringify(value) ?? "null";
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    const deep = /call stack/i.test(String(err.message));
    send({ t: "killed", reason: "output", ...(deep ? { limit: "json.depth" } : {}) });
  }
  if (json !== undefined) send({ t: "result", ok: true }, json);
} catch (err) {
  const isObject = err !== null && (typeof err === "object" || typeof err === "function");
  const code = isObject && typeof err.code === "string" ? err.code : "APPLICATION_ERROR";
  const message = isObject && "message" in err ? String(err.message) : text(err);
  send({ t: "result", ok: false, code, message });
}
