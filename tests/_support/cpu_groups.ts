import { openCpuGroups } from "../../src/sandbox/mod.ts";
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
  for (const entry of Deno.readTextFileSync("/proc/self/mountinfo").split("\n")) {
    const [left, right] = entry.split(" - ");
    const [fstype, , options] = right?.split(" ") ?? [];
    if (fstype === "cgroup" && options?.split(",").includes("cpu")) return left.split(" ")[4];
  }
  return null;
}

/** The path of process (or thread) `pid`'s group in the `cpu` hierarchy, or null once gone. */
export async function cpuCgroupOf(pid: number, task?: number): Promise<string | null> {
  try {
    const text = await Deno.readTextFile(
      task === undefined ? `/proc/${pid}/cgroup` : `/proc/${pid}/task/${task}/cgroup`,
    );
    const line = text.split("\n").map((l) => /^\d+:([^:]*):(.*)$/.exec(l))
      .find((m) => m && m[1].split(",").includes("cpu"));
    return line ? line[2] : null;
  } catch {
    return null;
  }
}
