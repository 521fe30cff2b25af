import { hostname } from "node:os";
import type { DockerApi } from "./docker_api.ts";
import { LABEL_INSTANCE, LABEL_MANAGED } from "./docker_api.ts";

/** Label naming the process that owns a container: `<host>:<pid>:<process start time>`. */
export const LABEL_OWNER = "kiln.owner";

/**
 * Who this Kiln process is, for labelling containers and telling orphans from the containers of
 * other live Kiln instances on the same daemon. The owner label ties an instance to its process
 * (pid plus its start time, so a reused pid does not keep an orphan alive).
 */
export interface KilnInstance {
  id: string;
  owner: string;
}

/** This process's identity: a random instance id and its owner label. */
export function currentInstance(): KilnInstance {
  const id = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
  return { id, owner: `${safeHostname()}:${Deno.pid}:${startTimeOf(Deno.pid) ?? "0"}` };
}

function safeHostname(): string {
  try {
    return hostname();
  } catch {
    return "unknown";
  }
}

/** The start time (clock ticks since boot) of a process, or null when it does not exist. */
export function startTimeOf(pid: number): string | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/**
 * Whether the owner label names a process that is gone. Only owners on this host are judged (a
 * container whose owner cannot be checked is never called an orphan).
 */
export function ownerIsGone(owner: string | undefined): boolean {
  if (!owner) return false;
  const [host, pid, start] = owner.split(":");
  if (host !== safeHostname() || !/^\d+$/.test(pid ?? "")) return false;
  const now = startTimeOf(Number(pid));
  return now === null || now !== start;
}

/**
 * Removes the containers of Kiln instances that are gone (their owner process died without
 * cleaning up), never those of live instances. Resolves to the ids removed.
 */
export async function removeOrphans(docker: DockerApi, self: KilnInstance): Promise<string[]> {
  const removed: string[] = [];
  for (const c of await docker.list({ [LABEL_MANAGED]: "true" })) {
    if (c.labels[LABEL_INSTANCE] === self.id) continue;
    if (!ownerIsGone(c.labels[LABEL_OWNER])) continue;
    await docker.remove(c.id);
    removed.push(c.id);
  }
  return removed;
}

/** Removes every container of this instance (shutdown). */
export async function removeOwn(docker: DockerApi, self: KilnInstance): Promise<string[]> {
  const own = await docker.list({ [LABEL_MANAGED]: "true", [LABEL_INSTANCE]: self.id });
  await Promise.all(own.map((c) => docker.remove(c.id)));
  return own.map((c) => c.id);
}
