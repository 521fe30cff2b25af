/**
 * The script every fresh QuickJS context runs before the component bundle. It evaluates to a
 * function taking the two host functions (`call`, `log`), installs `globalThis.__kiln` and
 * `console` on top of them, and returns the helpers the worker drives the execution with. The
 * intrinsics it needs (JSON, String, Error) are captured here, before guest code can replace them,
 * and the host functions stay in this closure, so the only globals added are `__kiln` and
 * `console`.
 */
export const GUEST_PRELUDE = `(function (hostCall, hostLog) {
  "use strict";
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const str = String;
  const freeze = Object.freeze;
  const GuestError = Error;

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

  const invoke = async (entry, input) => {
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
  return [invoke, encode, describe];
})`;
