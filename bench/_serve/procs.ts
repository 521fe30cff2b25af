/**
 * Processes the serve benchmark starts and watches: spawning a server and waiting until it
 * answers, the resident memory of a process tree (Kiln with its isolate hosts), the load average.
 */

export interface Server {
  url: string;
  pid: number;
  /** Milliseconds from spawn to the first successful health check. */
  readyMs: number;
  /** CPU milliseconds (user + system, all threads) the process had used by then. */
  readyCpuMs: number;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  cmd: string;
  args: string[];
  env?: Record<string, string>;
  /** How the URL is learnt: a fixed one, or the first `listening on <url>` line on stdout. */
  url?: string;
  /** Path polled (GET) until it answers 2xx; without it the first answer of any kind counts. */
  health?: string;
  timeoutMs?: number;
}

/** Servers started and not yet stopped: an interrupted benchmark stops them on its way out. */
const live = new Set<() => Promise<void>>();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await Promise.allSettled([...live].map((stop) => stop()));
    Deno.exit(130);
  });
}

/** Spawns a server and resolves once it answers over HTTP. */
export async function spawnServer(opts: SpawnOptions): Promise<Server> {
  const started = performance.now();
  const child = new Deno.Command(opts.cmd, {
    args: opts.args,
    env: opts.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let seen = "";
  let url = opts.url;
  const tail = (stream: ReadableStream<Uint8Array>) =>
    (async () => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        if (seen.length < 65_536) seen += text;
        url ??= /listening on (http:\/\/\S+)/.exec(seen)?.[1];
      }
    })();
  tail(child.stdout);
  tail(child.stderr);
  const deadline = started + (opts.timeoutMs ?? 30_000);
  let exited = false;
  child.status.then(() => (exited = true));
  const stop = async () => {
    live.delete(stop);
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 60_000); // a CPU profile of a long run takes a while to write at exit
    await child.status;
    clearTimeout(timer);
  };
  live.add(stop);
  while (performance.now() < deadline && !exited) {
    if (url) {
      try {
        const res = await fetch(url.replace(/\/$/, "") + (opts.health ?? "/"));
        await res.body?.cancel();
        if (!opts.health || res.ok) {
          return {
            url: url.replace(/\/$/, ""),
            pid: child.pid,
            readyMs: performance.now() - started,
            readyCpuMs: cpuS(child.pid) * 1000,
            stop,
          };
        }
      } catch { /* not yet */ }
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await stop();
  throw new Error(`${opts.cmd} ${opts.args.join(" ")} did not start:\n${seen.slice(-2000)}`);
}

/** A free loopback port (listened on and released; a race only with other benchmarks). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

/** The pids of `pid` and all its descendants, from /proc. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      // The command name may hold spaces and parentheses: fields start after the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e.name));
      children.set(ppid, list);
    } catch { /* exited meanwhile */ }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

/** VmRSS of one process in MB (0 when it is gone). */
export function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * PSS of one process in MB (0 when it is gone): each page shared with other processes counted as
 * its share, so the isolate hosts' common `deno` binary pages are not counted once per host.
 */
export function pssMb(pid: number): number {
  try {
    const kb = /^Pss:\s+(\d+) kB/m.exec(Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Resident memory of a process and its descendants, summed, in MB: VmRSS and PSS. */
export function treeRssMb(
  pid: number,
): { total: number; pss: number; own: number; processes: number } {
  const tree = processTree(pid);
  return {
    total: tree.reduce((s, p) => s + rssMb(p), 0),
    pss: tree.reduce((s, p) => s + pssMb(p), 0),
    own: rssMb(pid),
    processes: tree.length,
  };
}

/** The kernel's estimate of memory available for new work (`MemAvailable`), in MB. */
export function memAvailableMb(): number {
  const kb = /^MemAvailable:\s+(\d+) kB/m.exec(Deno.readTextFileSync("/proc/meminfo"))?.[1];
  return Number(kb) / 1024;
}

export function loadavg(): string {
  return Deno.loadavg().map((n) => n.toFixed(2)).join(" ");
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Now on the clock V8's CPU profiles use (CLOCK_MONOTONIC, µs), read from /proc/uptime: 10 ms
 * resolution, enough to cut a multi-second load out of a profile.
 */
export function monotonicUs(): number {
  return Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]) * 1e6;
}

/** CPU seconds (user + system, all threads) one process has used, from /proc (0 when gone). */
export function cpuS(pid: number): number {
  try {
    const f = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = f.slice(f.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ
  } catch {
    return 0;
  }
}

/** Each live thread of a process: its tid, name and CPU seconds (user + system, from `stat`). */
export function threadsOf(pid: number): { tid: number; name: string; cpuS: number }[] {
  const out: { tid: number; name: string; cpuS: number }[] = [];
  let tasks: Deno.DirEntry[] = [];
  try {
    tasks = [...Deno.readDirSync(`/proc/${pid}/task`)];
  } catch { /* gone */ }
  for (const t of tasks) {
    try {
      const f = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/stat`);
      const fields = f.slice(f.lastIndexOf(")") + 2).split(" ");
      out.push({
        tid: Number(t.name),
        name: f.slice(f.indexOf("(") + 1, f.lastIndexOf(")")),
        cpuS: (Number(fields[11]) + Number(fields[12])) / 100, // USER_HZ
      });
    } catch { /* ended meanwhile */ }
  }
  return out;
}

/**
 * CPU seconds one thread has run (`/proc/PID/task/TID/schedstat`, in ns: finer than `stat`'s
 * ticks). A process's main thread has its pid as tid. 0 when gone.
 */
export function threadCpuS(pid: number, tid = pid): number {
  try {
    return Number(Deno.readTextFileSync(`/proc/${pid}/task/${tid}/schedstat`).split(" ")[0]) / 1e9;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process and its descendants have used, from /proc. */
export function treeCpuS(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const f = Deno.readTextFileSync(`/proc/${p}/stat`);
      const fields = f.slice(f.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch { /* exited meanwhile */ }
  }
  return ticks / 100; // USER_HZ
}

/**
 * Waits until a process tree is quiet (under `maxShare` of a core for two seconds in a row), at
 * most `limitS` seconds; resolves to the seconds waited. After `kiln serve` bundles its first
 * component, V8 compiles esbuild's hot wasm functions with its optimising tier on background
 * threads for ~5–20 s (0.2 cores on a loaded machine): a load measured in that window counts it.
 */
export async function waitQuiet(pid: number, limitS = 60, maxShare = 0.05): Promise<number> {
  let quiet = 0;
  let waited = 0;
  for (let prev = treeCpuS(pid); quiet < 2 && waited < limitS; waited++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = treeCpuS(pid);
    quiet = now - prev <= maxShare ? quiet + 1 : 0;
    prev = now;
  }
  return waited;
}
