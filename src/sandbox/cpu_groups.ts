/**
 * Each app's sandbox host processes share one CPU group — a cgroup of the kernel's `cpu`
 * controller — and every app's group weighs the same. Under contention an app then gets its share
 * of the cores however many workers it keeps busy, and all sandboxes together weigh what one of
 * Kiln's own threads weighs, so Kiln's event loop keeps its core (ADR 0039). Nothing is capped: a
 * group gets every cycle no other group wants.
 *
 * Layout, under the `cpu` cgroup Kiln itself runs in: `kiln-<pid>/app-<appId>`. Where Kiln may
 * not make cgroups there (no cgroup v1 `cpu` hierarchy, a read-only one, no write permission),
 * hosts stay in Kiln's group at the lowered priority of ADR 0038 and `state` says why.
 */
import type { Logger } from "../core/mod.ts";

/** Whether app groups are in use, and where; or why not. */
export type CpuGroupsState =
  | { kind: "cgroup-v1"; root: string }
  | { kind: "none"; reason: string };

export interface CpuGroups {
  readonly state: CpuGroupsState;
  /**
   * Moves process `pid` — every thread it has, and those it starts later — into app `appId`'s
   * group until `exited` settles; returns the group's path (relative to the hierarchy), or null
   * when it stays where it is.
   */
  join(appId: string, pid: number, exited: Promise<unknown>): string | null;
  /** Removes Kiln's groups; call once their processes have exited. */
  close(): void;
}

/** Each app's group, and the group that holds them all, weigh what a nice-0 thread weighs. */
export const GROUP_SHARES = 1024;

/** Groups nobody asked for: hosts stay in Kiln's own group. */
export function noCpuGroups(reason: string): CpuGroups {
  return { state: { kind: "none", reason }, join: () => null, close() {} };
}

/**
 * Kiln's app groups under the cgroup v1 `cpu` hierarchy it runs in, or `noCpuGroups` saying why
 * they cannot be made. Groups left by a Kiln that died (its pid gone) are removed on the way.
 */
export function openCpuGroups(logger?: Logger): CpuGroups {
  let groups: CpuGroups;
  try {
    groups = CgroupV1Groups.open();
  } catch (err) {
    groups = noCpuGroups(err instanceof Error ? err.message : String(err));
  }
  const state = groups.state;
  if (state.kind === "none") {
    logger?.info("sandbox hosts share Kiln's CPU group: no per-app groups", {
      reason: state.reason,
    });
  } else logger?.debug("sandbox hosts get a CPU group per app", { root: state.root });
  return groups;
}

class CgroupV1Groups implements CpuGroups {
  readonly state: CpuGroupsState;
  readonly #apps = new Map<string, { dir: string; pids: Set<number> }>();

  private constructor(readonly root: string, readonly relative: string) {
    this.state = { kind: "cgroup-v1", root };
  }

  static open(): CgroupV1Groups {
    const own = ownCpuCgroup();
    removeStale(own.dir);
    const name = `kiln-${Deno.pid}`;
    const root = `${own.dir}/${name}`;
    Deno.mkdirSync(root, { recursive: true });
    Deno.writeTextFileSync(`${root}/cpu.shares`, String(GROUP_SHARES));
    return new CgroupV1Groups(root, `${own.path.replace(/\/$/, "")}/${name}`);
  }

  join(appId: string, pid: number, exited: Promise<unknown>): string | null {
    const name = `app-${appId.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 100)}`;
    let app = this.#apps.get(name);
    try {
      if (!app) {
        const dir = `${this.root}/${name}`;
        Deno.mkdirSync(dir, { recursive: true });
        Deno.writeTextFileSync(`${dir}/cpu.shares`, String(GROUP_SHARES));
        app = { dir, pids: new Set() };
        this.#apps.set(name, app);
      }
      // `cgroup.procs`, not `tasks`: the whole process moves, its worker threads with it.
      Deno.writeTextFileSync(`${app.dir}/cgroup.procs`, String(pid));
    } catch {
      // Gone already, or the group went away under us: the process stays where it was.
      return null;
    }
    const member = app;
    member.pids.add(pid);
    const leave = () => {
      member.pids.delete(pid);
      if (member.pids.size > 0 || this.#apps.get(name) !== member) return;
      if (tryRemove(member.dir)) this.#apps.delete(name);
    };
    exited.then(leave, leave);
    return `${this.relative}/${name}`;
  }

  close(): void {
    for (const [name, app] of this.#apps) if (tryRemove(app.dir)) this.#apps.delete(name);
    tryRemove(this.root);
  }
}

/** The `cpu` hierarchy's path in a `/proc/<pid>/cgroup` text ("4:cpu,cpuacct:/path"), or null. */
export function cpuPathIn(cgroupText: string): string | null {
  const line = cgroupText.split("\n").map((l) => /^\d+:([^:]*):(.*)$/.exec(l))
    .find((m) => m && m[1].split(",").includes("cpu"));
  return line ? line[2] : null;
}

/** Where the cgroup v1 `cpu` hierarchy is mounted, and which of its paths shows there; or null. */
export function cpuMount(): { point: string; root: string } | null {
  // mountinfo: id parent dev root mountpoint options ... - fstype source superoptions
  for (const entry of Deno.readTextFileSync("/proc/self/mountinfo").split("\n")) {
    const [left, right] = entry.split(" - ");
    const [fstype, , superOptions] = right?.split(" ") ?? [];
    if (fstype !== "cgroup" || !superOptions?.split(",").includes("cpu")) continue;
    const fields = left.split(" ");
    return { point: fields[4], root: fields[3] };
  }
  return null;
}

/** The cgroup v1 `cpu` hierarchy's directory Kiln runs in, and its path inside the hierarchy. */
function ownCpuCgroup(): { dir: string; path: string } {
  const path = cpuPathIn(Deno.readTextFileSync("/proc/self/cgroup"));
  if (path === null) throw new Error("no cgroup v1 hierarchy has the cpu controller");
  const mount = cpuMount();
  if (!mount) throw new Error(`the cpu cgroup ${JSON.stringify(path)} is not mounted here`);
  const inside = mount.root === "/" ? path : path.slice(mount.root.length);
  const dir = `${mount.point}${inside === "/" ? "" : inside}`;
  Deno.statSync(`${dir}/cpu.shares`);
  return { dir, path };
}

/** `kiln-<pid>` groups whose Kiln is gone; their hosts died with it, so they are empty. */
function removeStale(dir: string): void {
  for (const entry of Deno.readDirSync(dir)) {
    const m = /^kiln-(\d+)$/.exec(entry.name);
    if (!m || !entry.isDirectory || Number(m[1]) === Deno.pid || alive(Number(m[1]))) continue;
    const stale = `${dir}/${entry.name}`;
    try {
      for (const app of Deno.readDirSync(stale)) {
        if (app.isDirectory) tryRemove(`${stale}/${app.name}`);
      }
      tryRemove(stale);
    } catch {
      // Another Kiln starting beside this one removed it first.
    }
  }
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** rmdir of a cgroup; false while a process is still in it. */
function tryRemove(dir: string): boolean {
  try {
    Deno.removeSync(dir);
    return true;
  } catch (err) {
    return err instanceof Deno.errors.NotFound;
  }
}
