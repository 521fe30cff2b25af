/**
 * What the sandbox tests read of a host process from Linux `/proc`: whether it is gone, and each
 * thread's nice value. Test support only.
 */
import assert from "node:assert/strict";

/** Resolves once process `pid` is gone (it ended and was reaped), or fails after `ms`. */
export async function processGone(pid: number, ms: number, what: string): Promise<void> {
  for (const started = performance.now(); performance.now() - started < ms;) {
    try {
      await Deno.stat(`/proc/${pid}`);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`${what} (pid ${pid}) still runs after ${ms} ms`);
}

/** Each thread of process `pid`: its id, name and nice value (`stat` field 19). */
export function threadNices(pid: number): { tid: number; comm: string; nice: number }[] {
  return [...Deno.readDirSync(`/proc/${pid}/task`)].map(({ name }) => {
    const stat = Deno.readTextFileSync(`/proc/${pid}/task/${name}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const comm = Deno.readTextFileSync(`/proc/${pid}/task/${name}/comm`).trim();
    return { tid: Number(name), comm, nice: Number(fields[16]) };
  });
}
