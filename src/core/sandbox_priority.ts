/**
 * Processes that run app code run at a lower CPU priority than Kiln's own threads. On a machine
 * whose cores the sandboxes keep busy, a guest that spins (up to its deadline, on every worker
 * its app may have) would otherwise take the CPU from Kiln's event loop as an equal: routing,
 * `/healthz`, the admin API and other apps' requests (ADR 0038). A lowered process still gets
 * every cycle nothing else wants, so an app alone on the machine loses nothing.
 */

/** The nice value sandbox processes run at (Kiln's own threads keep theirs, normally 0). */
export const SANDBOX_NICE = 5;

/**
 * A function that lowers process `pid` to `SANDBOX_NICE`, returning false where that is not
 * permitted (no `--allow-sys`; the child then runs at Kiln's priority). On Linux it changes the
 * process's main thread, and the threads that thread starts later (its workers) inherit it, so it
 * must run before the child starts any: `node:os` is loaded here, ahead of the spawn, and only by
 * the processes that start sandboxes.
 */
export async function priorityLowerer(): Promise<(pid: number) => boolean> {
  const { setPriority } = await import("node:os");
  return (pid) => {
    try {
      setPriority(pid, SANDBOX_NICE);
      return true;
    } catch {
      return false;
    }
  };
}
