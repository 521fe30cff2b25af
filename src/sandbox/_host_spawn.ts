/**
 * How Kiln starts a sandbox host process (an isolate host, a component host): Kiln itself through
 * a hidden subcommand that drops every permission before it loads guest code (ADR 0021), with
 * nothing of Kiln's environment, its frame channel at fd 3 (Node's IPC, which only the host's main
 * thread holds), stdout and stderr piped as stray output, and below Kiln's CPU priority (ADR 0038).
 */
import type { ChildProcess } from "node:child_process";
import { type ChildCommand, priorityLowerer } from "../core/mod.ts";
import { nodeChildProcess } from "../core/node/mod.ts";

/** The host's frame channel (null only when the spawn failed). */
export type HostChannel = (NodeJS.ReadWriteStream & { destroy?(): void }) | null;

/**
 * Spawns hidden subcommand `name` with `deno run` flags `runFlags` (from source) and `args`. Node's
 * `spawn` of Deno's own binary path rewrites the arguments and grants the child every permission;
 * the same binary under a path spelled differently is left alone (and the host drops every
 * permission itself, see `src/child_main.ts`).
 */
export async function spawnHost(
  command: ChildCommand,
  name: string,
  runFlags: string[],
  args: string[],
): Promise<{ child: ChildProcess; channel: HostChannel }> {
  const lowerPriority = await priorityLowerer();
  const file = command.file === Deno.execPath()
    ? command.file.replace(/\/([^/]+)$/, "/./$1")
    : command.file;
  const child = nodeChildProcess().spawn(file, command.args(name, runFlags, args), {
    env: { NO_COLOR: "1", NODE_CHANNEL_FD: "3", DENO_NO_PROMPT: "1" },
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  // Before it starts its workers, which inherit the priority: guests never outrank Kiln.
  if (child.pid) lowerPriority(child.pid);
  return { child, channel: child.stdio[3] as unknown as HostChannel };
}

/** Waits until the host is `ready`; past `ms` it is killed (and `ready` rejects as it dies). */
export async function startedWithin<T>(ready: Promise<T>, ms: number, kill: () => void) {
  const timer = setTimeout(kill, ms);
  try {
    return await ready;
  } finally {
    clearTimeout(timer);
  }
}
