// What the Deno runner does to its container: it makes itself non-dumpable, and between tasks
// finds, kills and reaps every other process and empties the places a task could leave state in.
// Guests get the kernel's OOM kill first, and their memory is read from /proc.

/** Past these, replacing the container is cheaper than cleaning up after the guest. */
const MAX_LEFTOVERS = 10_000;
const MAX_LEFTOVER_DEPTH = 64;
const PAGE = 4096;

const libc = Deno.dlopen("libc.so.6", {
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  kill: { parameters: ["i32", "i32"], result: "i32" },
  waitpid: { parameters: ["i32", "pointer", "i32"], result: "i32" },
  shmctl: { parameters: ["i32", "i32", "pointer"], result: "i32" },
  msgctl: { parameters: ["i32", "i32", "pointer"], result: "i32" },
  semctl: { parameters: ["i32", "i32", "i32"], result: "i32" },
}).symbols;

/** PR_SET_DUMPABLE 0: /proc/<runner>/{mem,environ,fd,maps} and ptrace are refused to its uid. */
export function undumpable() {
  if (libc.prctl(4, 0, 0, 0, 0) !== 0) throw new Error("prctl(PR_SET_DUMPABLE, 0) failed");
}

/** SIGKILL to every process but pid 1 (the runner) and the caller; atomic with respect to fork. */
export function killAll() {
  libc.kill(-1, 9);
}

/** The guest, not the runner, is what the kernel kills when the container runs out of memory. */
export function oomFirst(pid) {
  try {
    Deno.writeTextFileSync(`/proc/${pid}/oom_score_adj`, "1000");
  } catch { /* gone already */ }
}

/** The container's cgroup OOM-kill count (cgroup v1 or v2), or null when unreadable. */
export function oomKills() {
  for (const path of ["/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events"]) {
    try {
      const m = /^oom_kill (\d+)$/m.exec(Deno.readTextFileSync(path));
      if (m) return Number(m[1]);
    } catch { /* the other cgroup version */ }
  }
  return null;
}

/**
 * A guest's resident and writable private memory (statm `resident`, `data`) and its threads.
 * `data` counts what is allocated even when untouched (ArrayBuffers are outside the V8 heap limit)
 * and leaves out the inaccessible reservations V8 makes for its heap cage and wasm guard regions;
 * each thread (a Worker) adds a large writable reservation of its own, allowed for below.
 */
export function memoryOf(pid) {
  try {
    const fields = Deno.readTextFileSync(`/proc/${pid}/statm`).split(" ");
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const threads = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[17]);
    return { rss: Number(fields[1]) * PAGE, data: Number(fields[5]) * PAGE, threads };
  } catch {
    return null;
  }
}

/**
 * Live processes in the container other than the runner. Zombies are not alive: the runner's own
 * children (`ours`) Deno reaps, and orphans (reparented to the runner, pid 1) are reaped here.
 */
export function survivors(ours) {
  const left = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const pid = Number(e.name);
    if (pid === Deno.pid || pid === 1) continue;
    let stat;
    try {
      stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    } catch {
      continue; // gone
    }
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (state !== "Z") left.push(pid);
    else if (Number(ppid) === Deno.pid && !ours.has(pid)) libc.waitpid(pid, null, 1);
  }
  return left;
}

/** Empties `root`, or says why it will not: too much, too deep, not removable. */
export function wipe(root) {
  let count = 0;
  const dirs = [];
  const stack = [[root, 0]];
  try {
    while (stack.length) {
      const [path, depth] = stack.pop();
      if (depth > MAX_LEFTOVER_DEPTH) {
        return `the guest left directories more than ${MAX_LEFTOVER_DEPTH} deep`;
      }
      let entries;
      try {
        entries = [...Deno.readDirSync(path)];
      } catch (err) {
        if (!(err instanceof Deno.errors.PermissionDenied)) throw err;
        Deno.chmodSync(path, 0o700);
        entries = [...Deno.readDirSync(path)];
      }
      for (const e of entries) {
        if (++count > MAX_LEFTOVERS) return `the guest left more than ${MAX_LEFTOVERS} files`;
        const full = `${path}/${e.name}`;
        if (e.isDirectory) {
          Deno.chmodSync(full, 0o700);
          stack.push([full, depth + 1]);
          dirs.push(full);
        } else Deno.removeSync(full);
      }
    }
    for (const d of dirs.reverse()) Deno.removeSync(d);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound && count === 0) return null;
    return `cannot empty ${root}: ${err.message}`;
  }
  return null;
}

/** Removes System V shared memory, queues and semaphores left behind. */
export function removeIpc() {
  const kinds = {
    shm: (id) => libc.shmctl(id, 0, null),
    msg: (id) => libc.msgctl(id, 0, null),
    sem: (id) => libc.semctl(id, 0, 0),
  };
  for (const [kind, remove] of Object.entries(kinds)) {
    let text;
    try {
      text = Deno.readTextFileSync(`/proc/sysvipc/${kind}`);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const id = Number(line.trim().split(/\s+/)[1]);
      if (line.trim() && remove(id) !== 0) return `cannot remove System V ${kind} ${id}`;
    }
  }
  return null;
}
