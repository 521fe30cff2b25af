/**
 * The script the prepared QuickJS context runs once, before the memory image every execution
 * starts from is taken (see `_guest_snapshot.ts`). It evaluates to a function taking the two host
 * functions (`call`, `log`), installs `globalThis.__kiln` and `console` on top of them, and returns
 * the helpers the worker drives each execution with. The intrinsics it needs (JSON, String, Error,
 * Math.imul) are captured here, before guest code can replace them, and the host functions stay in
 * this closure, so the only globals added are `__kiln` and `console`.
 *
 * `Math.random` is replaced by xoshiro128**, seeded from the host's CSPRNG by `invoke` before each
 * execution's handler runs (and by `reseed` before a bundle's top level is evaluated): QuickJS
 * seeds its own generator once per context, and every execution starting from one image would
 * otherwise draw the same numbers.
 */
export const GUEST_PRELUDE = `(function (hostCall, hostLog) {
  "use strict";
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const str = String;
  const freeze = Object.freeze;
  const GuestError = Error;
  const imul = Math.imul;

  let s0 = 1, s1 = 2, s2 = 3, s3 = 4;
  const rotl = (x, k) => (x << k) | (x >>> (32 - k));
  const next = () => {
    const out = imul(rotl(imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return out;
  };
  const { random } = {
    random() {
      return ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
    },
  };
  Object.defineProperty(Math, "random", { value: random, writable: true, configurable: true });

  const text = (value) => {
    if (typeof value === "string") return value;
    if (value instanceof GuestError) return str(value.name) + ": " + str(value.message);
    try {
      const json = stringify(value);
      return json === undefined ? str(value) : json;
    } catch (_) {
      return str(value);
    }
  };
  const sdkLog = (level) => (message, fields) => {
    hostLog(level, str(message), fields === undefined ? undefined : stringify(fields), "sdk");
  };
  const consoleLog = (level) => (...args) => {
    let line = "";
    for (let i = 0; i < args.length; i++) line += (i === 0 ? "" : " ") + text(args[i]);
    hostLog(level, line, undefined, "console");
  };
  const call = async (tool, params) => {
    const reply = parse(
      await hostCall(str(tool), params === undefined ? undefined : stringify(params)),
    );
    if (reply.ok) return reply.value;
    const err = new GuestError(reply.message);
    err.code = reply.code;
    throw err;
  };

  globalThis.__kiln = freeze({
    mcp: freeze({ call }),
    log: freeze({
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

  const reseed = (seed) => {
    const words = parse(seed);
    s0 = words[0] | 0;
    s1 = words[1] | 0;
    s2 = words[2] | 0;
    s3 = words[3] | 0;
    if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  };
  const invoke = async (entry, input, seed) => {
    reseed(seed);
    const namespace = globalThis.__kilnModule;
    const fn = namespace === null || namespace === undefined ? undefined : namespace[entry];
    if (typeof fn !== "function") {
      throw new GuestError("the bundle does not export " + stringify(entry) + " as a function");
    }
    const args = parse(input);
    return await fn(args[0], args[1]);
  };
  const encode = (value) => {
    const json = stringify(value);
    return json === undefined ? "null" : json;
  };
  const describe = (err) => {
    try {
      if (err !== null && (typeof err === "object" || typeof err === "function")) {
        const code = err.code;
        return stringify({
          name: str(err.name),
          message: str(err.message),
          code: code === undefined || code === null ? undefined : str(code),
        });
      }
      return stringify({ name: "", message: str(err) });
    } catch (_) {
      return '{"name":"","message":"the thrown value cannot be read"}';
    }
  };
  return [invoke, encode, describe, reseed];
})`;
