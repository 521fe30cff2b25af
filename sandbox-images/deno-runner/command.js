// `core.linux.executeCommand` for the Deno runner.
import { killAll } from "./container.js";
import { concat } from "./output.js";

const TMP = Deno.env.get("TMPDIR") ?? "/tmp";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * `core.linux.executeCommand` inside the container: argv only, no shell, clean env, caps. `track`
 * registers the child as the runner's own, `stop` kills it.
 */
export async function runCommand(req, { track, stop }) {
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
  track(child);
  let timedOut = false;
  let truncated = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop(child);
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
    return decoder.decode(concat(parts.length ? parts : [new Uint8Array(0)]));
  };
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    w.write(encoder.encode(stdin)).then(() => w.close()).catch(() => {});
  }
  const outputs = Promise.all([collect(child.stdout), collect(child.stderr)]);
  // A command's descendants may hold its pipes open: its own exit (or the timeout) ends the wait,
  // and killing everything else closes them.
  const status = await child.status;
  clearTimeout(timer);
  killAll();
  const [stdout, stderr] = await outputs;
  return {
    exitCode: status.code ?? 128,
    signal: status.signal,
    stdout,
    stderr,
    timedOut,
    truncated,
  };
}
