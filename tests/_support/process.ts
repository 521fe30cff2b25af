const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

/** Runs the kiln CLI to completion; returns its exit code and output. */
export async function kiln(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** A `kiln serve` child process, started and waited for until it prints its URL. */
export interface ServerProcess {
  url: string;
  pid: number;
  token?: string;
  lines: string[];
  /** What it wrote to stderr (its JSON log), line by line. */
  errLines: string[];
  stop(): Promise<number>;
  /** Sends `signal` (e.g. SIGKILL, for crash tests) and waits for the exit. */
  kill(signal: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** Starts `kiln serve` with the given Deno permission flags and waits for its URL. */
export async function spawnServer(
  serveArgs: string[],
  opts: { permissions?: string[]; env?: Record<string, string>; startTimeoutMs?: number } = {},
): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...(opts.permissions ?? ["--allow-all"]), MAIN, "serve", ...serveArgs],
    env: { KILN_LOG_LEVEL: "warn", ...opts.env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const errLines: string[] = [];
  const drain = async (stream: ReadableStream<Uint8Array>, into: string[]) => {
    const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      const parts = buf.split("\n");
      buf = parts.pop()!;
      into.push(...parts);
    }
  };
  const outDone = drain(child.stdout, lines);
  const errDone = drain(child.stderr, errLines);
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  let url: string | undefined;
  while (!url) {
    url = lines.map((l) => /listening on (\S+)/.exec(l)?.[1]).find(Boolean);
    if (url) break;
    const status = await Promise.race([
      child.status,
      new Promise<null>((r) => setTimeout(() => r(null), 20)),
    ]);
    if (status || Date.now() > deadline) {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await Promise.all([outDone, errDone, child.status]);
      throw new Error(`kiln serve did not start:\n${lines.join("\n")}\n${errLines.join("\n")}`);
    }
  }
  const token = lines.map((l) => /admin token[^:]*: (\S+)/.exec(l)?.[1]).find(Boolean);
  return {
    url,
    pid: child.pid,
    token,
    lines,
    errLines,
    async stop() {
      child.kill("SIGTERM");
      const status = await child.status;
      await Promise.all([outDone, errDone]);
      return status.code;
    },
    async kill(signal) {
      child.kill(signal);
      const status = await child.status;
      await Promise.all([outDone, errDone]);
      return status;
    },
  };
}

/** The command lines of `pid`'s child processes (Linux `/proc`). */
export async function childCommandLines(pid: number): Promise<string[][]> {
  const found: string[][] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`);
      // The parent pid is the second field after the parenthesised command name.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== pid) continue;
      const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`);
      found.push(cmdline.split("\0").filter(Boolean));
    } catch { /* exited meanwhile */ }
  }
  return found;
}
