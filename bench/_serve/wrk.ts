/**
 * `wrk` (a native HTTP/1.1 load generator) against one URL: a POST with a fixed body, parsed into
 * req/s and latency percentiles. A load client inside a Deno process would compete with the server
 * it measures, so none is used.
 */

export interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Responses outside 2xx/3xx, and socket errors (connect, read, write, timeout). */
  failures: number;
}

export interface WrkOptions {
  body: string;
  headers?: Record<string, string>;
  connections: number;
  durationS: number;
  threads?: number;
}

/** Runs wrk once; throws when any response failed (a benchmark of errors measures nothing). */
export async function wrk(url: string, opts: WrkOptions): Promise<WrkResult> {
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  const headers = { "Content-Type": "application/json", ...opts.headers };
  await Deno.writeTextFile(
    script,
    `wrk.method = "POST"\nwrk.body = ${luaString(opts.body)}\n` +
      Object.entries(headers).map(([k, v]) => `wrk.headers[${luaString(k)}] = ${luaString(v)}\n`)
        .join(""),
  );
  const threads = opts.threads ?? 1;
  try {
    const out = await new Deno.Command("wrk", {
      args: [
        `-t${Math.min(threads, opts.connections)}`,
        `-c${opts.connections}`,
        `-d${opts.durationS}s`,
        "--latency",
        "--timeout",
        "10s",
        "-s",
        script,
        url,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    if (!out.success) throw new Error(`wrk failed: ${new TextDecoder().decode(out.stderr)}`);
    const result = parseWrk(text);
    if (result.failures > 0) {
      throw new Error(`${url}: ${result.failures} failed responses or socket errors\n${text}`);
    }
    return result;
  } finally {
    await Deno.remove(script);
  }
}

/** wrk's `--latency` report to numbers (milliseconds). */
export function parseWrk(text: string): WrkResult {
  const ms = (label: string) => {
    const m = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)\\b`).exec(text);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = socket ? socket.slice(1).reduce((s, n) => s + Number(n), 0) : 0;
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN),
    p50: ms("50"),
    p99: ms("99"),
    requests: Number(/(\d+) requests in/.exec(text)?.[1] ?? 0),
    failures: non2xx + socketErrors,
  };
}

function luaString(s: string): string {
  // JSON string escapes (\", \\, \n, \uXXXX for controls) are valid Lua except \u and \/.
  return JSON.stringify(s).replace(/\\u([0-9a-fA-F]{4})/g, (_, h) => `\\u{${h}}`);
}
