/**
 * A Redis server a test owns (on a free loopback port, append-only file fsynced on every write),
 * so the test can kill it and start it again without touching the shared CI Redis, and no
 * acknowledged write is lost across the restart.
 */

/** A test-owned `redis-server`. */
export interface OwnRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL) and waits for its exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open, nothing answers. */
  pause(): void;
  /** Lets a paused server go on (SIGCONT). */
  resume(): void;
  /** Stops it for good and removes its data. */
  close(): Promise<void>;
}

/** Whether a `redis-server` binary is on the PATH. */
export async function hasRedisServer(): Promise<boolean> {
  try {
    const out = await new Deno.Command("redis-server", { args: ["--version"], stdout: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

/** Starts a private `redis-server` and waits until it answers. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const dir = await Deno.makeTempDir({ prefix: "kiln-redis-" });
  const port = freePort();
  let child: Deno.ChildProcess | undefined;
  const start = async () => {
    child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        await conn.write(new TextEncoder().encode("PING\r\n"));
        const buf = new Uint8Array(16);
        const n = await conn.read(buf);
        conn.close();
        if (n && new TextDecoder().decode(buf.subarray(0, n)).startsWith("+PONG")) return;
      } catch { /* not up yet */ }
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const kill = async () => {
    if (!child) return;
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await child.status;
    child = undefined;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    start,
    pause: () => child?.kill("SIGSTOP"),
    resume: () => child?.kill("SIGCONT"),
    async close() {
      await kill();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Ports free on loopback right now (for tests that start several servers). */
export function freePorts(n: number): number[] {
  const listeners = Array.from(
    { length: n },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((l) => (l.addr as Deno.NetAddr).port);
  for (const l of listeners) l.close();
  return ports;
}

export function startRedis(port: number): Deno.ChildProcess {
  return new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Runs `redis-cli -p PORT ARGS…` and returns what it printed. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("redis-cli", {
    args: ["-p", String(port), ...args],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

/** Waits until the server on `port` answers PING. */
export async function redisReady(port: number, withinMs = 10_000): Promise<void> {
  const until = Date.now() + withinMs;
  while ((await redisCli(port, "ping")) !== "PONG") {
    if (Date.now() > until) throw new Error(`redis-server on ${port} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the replica on `port` has a live link to its master and has synced. */
export async function replicaSynced(port: number, withinMs = 30_000): Promise<void> {
  const until = Date.now() + withinMs;
  for (;;) {
    const info = await redisCli(port, "info", "replication");
    if (/master_link_status:up/.test(info) && !/master_sync_in_progress:1/.test(info)) return;
    if (Date.now() > until) throw new Error(`the replica on ${port} did not sync: ${info}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function hasCommand(name: string): Promise<boolean> {
  try {
    const out = await new Deno.Command("sh", { args: ["-c", `command -v ${name}`] }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** A test-owned `redis-server --sentinel` watching one master. */
export interface OwnSentinel {
  port: number;
  /** `redis+sentinel://127.0.0.1:PORT/MASTER`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts a sentinel (quorum 1) monitoring `master` at 127.0.0.1:`masterPort` under `name`, on a
 * free loopback port, and waits until it names the master.
 */
export async function startOwnSentinel(
  masterPort: number,
  name = "m",
  opts: { downAfterMs?: number } = {},
): Promise<OwnSentinel> {
  const dir = await Deno.makeTempDir({ prefix: "kiln-sentinel-" });
  const port = freePort();
  const conf = `${dir}/sentinel.conf`;
  await Deno.writeTextFile(
    conf,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${name} ${opts.downAfterMs ?? 1_000}`,
      `sentinel failover-timeout ${name} 5000`,
      "",
    ].join("\n"),
  );
  const child = new Deno.Command("redis-server", {
    args: [conf, "--sentinel"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const until = Date.now() + 10_000;
  while (
    !(await redisCli(port, "sentinel", "get-master-addr-by-name", name)).includes("127.0.0.1")
  ) {
    if (Date.now() > until) {
      child.kill("SIGKILL");
      await child.status;
      throw new Error(`redis-server --sentinel on ${port} did not start`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    url: `redis+sentinel://127.0.0.1:${port}/${name}`,
    async close() {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/**
 * Waits until the sentinel on `port` lists the replica on `replicaPort` as healthy: it learns of
 * replicas from the master's INFO (every 10 s), and cannot fail over to one it has not seen.
 */
export async function sentinelSeesReplica(
  port: number,
  name: string,
  replicaPort: number,
  withinMs = 30_000,
): Promise<void> {
  const until = Date.now() + withinMs;
  for (;;) {
    const lines = (await redisCli(port, "sentinel", "replicas", name)).split("\n");
    const at = lines.indexOf(`127.0.0.1:${replicaPort}`);
    const flags = at >= 0 ? lines[lines.indexOf("flags", at) + 1] ?? "" : "";
    if (flags === "slave") return;
    if (Date.now() > until) throw new Error(`the sentinel does not see the replica: ${lines}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Deletes every key under `prefix:` in the Redis at `url` (a test's own namespace). */
export async function dropKeys(url: string, prefix: string): Promise<void> {
  const { createClient } = await import("redis");
  const client = createClient({ url });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) {
    if (keys.length > 0) await client.unlink(keys);
  }
  await client.close();
}
