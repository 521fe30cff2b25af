/** A private `redis-server` per test (own port, no persistence), for tests that own their Redis. */

/** Ports free on loopback right now. */
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

export async function hasCommand(name: string): Promise<boolean> {
  try {
    const out = await new Deno.Command("sh", { args: ["-c", `command -v ${name}`] }).output();
    return out.success;
  } catch {
    return false;
  }
}
