import { openCpuGroups } from "../../src/sandbox/mod.ts";
import { cpuMount, cpuPathIn } from "../../src/sandbox/cpu_groups.ts";
import { requireService } from "./services.ts";

/**
 * Whether Kiln can make per-app CPU groups here (a writable cgroup v1 `cpu` hierarchy); required
 * in CI (`KILN_TEST_REQUIRE=cgroups`), whose machines have one.
 */
export function requireCpuGroups(): Promise<{ ignore: boolean }> {
  return requireService("cgroups", () => {
    const groups = openCpuGroups();
    groups.close();
    if (groups.state.kind === "none") throw new Error(groups.state.reason);
    return Promise.resolve(true);
  });
}

/** Where the cgroup v1 `cpu` hierarchy is mounted (its root), or null. */
export function cpuHierarchyMount(): string | null {
  return cpuMount()?.point ?? null;
}

/** The path of process (or thread) `pid`'s group in the `cpu` hierarchy, or null once gone. */
export async function cpuCgroupOf(pid: number, task?: number): Promise<string | null> {
  try {
    return cpuPathIn(
      await Deno.readTextFile(
        task === undefined ? `/proc/${pid}/cgroup` : `/proc/${pid}/task/${task}/cgroup`,
      ),
    );
  } catch {
    return null;
  }
}
