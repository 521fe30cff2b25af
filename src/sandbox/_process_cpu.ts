/**
 * CPU time a sandbox host process has used, every thread of it, in ms: what an operator looks at to
 * find the app that keeps the cores busy (`GET /v1/sandboxes`). Read from Linux `/proc/<pid>/stat`
 * (utime + stime, in clock ticks of 10 ms: `USER_HZ` is 100 on every Linux Kiln runs on); null
 * when the process is gone or `/proc` cannot be read (another OS, no read permission).
 */
export function processCpuMs(pid: number | null | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : null;
  } catch {
    return null;
  }
}
