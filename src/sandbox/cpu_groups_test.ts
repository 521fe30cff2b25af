import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { cpuCgroupOf, requireCpuGroups } from "../../tests/_support/cpu_groups.ts";
import { GROUP_SHARES, openCpuGroups } from "./cpu_groups.ts";

const { ignore } = await requireCpuGroups();

/** A process with a worker thread besides its main one, until its stdin closes. */
function threaded(): { child: Deno.ChildProcess; ready: Promise<void> } {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `new Worker("data:text/javascript,setInterval(() => {}, 1000)", { type: "module" });
       setTimeout(() => console.log("ready"), 100);
       for await (const _ of Deno.stdin.readable) {}
       Deno.exit(0);`,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const ready = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      if (chunk.includes("ready")) return;
    }
  })();
  return { child, ready };
}

const tasksOf = (pid: number) =>
  [...Deno.readDirSync(`/proc/${pid}/task`)].map((e) => Number(e.name));

const exists = (path: string) => {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
};

Deno.test({
  name: "CpuGroups moves a process with all its threads into its app's group, gone with it",
  ignore,
  async fn() {
    const groups = openCpuGroups();
    assert.equal(groups.state.kind, "cgroup-v1");
    const root = groups.state.kind === "cgroup-v1" ? groups.state.root : "";
    const { child, ready } = threaded();
    try {
      await ready;
      const exited = child.status;
      const path = groups.join("shop", child.pid, exited);
      assert.ok(path?.endsWith(`/kiln-${Deno.pid}/app-shop`), String(path));
      const tasks = tasksOf(child.pid);
      assert.ok(tasks.length > 2, `threads: ${tasks}`);
      for (const task of tasks) assert.equal(await cpuCgroupOf(child.pid, task), path);
      assert.equal(Deno.readTextFileSync(`${root}/app-shop/cpu.shares`).trim(), `${GROUP_SHARES}`);
      await child.stdin.close();
      await exited;
      await new Promise((r) => setTimeout(r, 0));
      assert.ok(!exists(`${root}/app-shop`), "the emptied group is removed");
    } finally {
      groups.close();
    }
    assert.ok(!exists(root), "close removes Kiln's group");
  },
});

Deno.test({
  name: "CpuGroups gives each app a group of its own, all of one weight",
  ignore,
  async fn() {
    const groups = openCpuGroups();
    const root = groups.state.kind === "cgroup-v1" ? groups.state.root : "";
    const a = threaded(), b = threaded(), c = threaded();
    try {
      await Promise.all([a.ready, b.ready, c.ready]);
      const pa = groups.join("a", a.child.pid, a.child.status);
      const pb = groups.join("b", b.child.pid, b.child.status);
      const pa2 = groups.join("a", c.child.pid, c.child.status);
      assert.notEqual(pa, pb);
      assert.equal(pa2, pa, "an app's second process joins its first");
      assert.equal(await cpuCgroupOf(c.child.pid), pa);
      await a.child.stdin.close();
      await a.child.status;
      await new Promise((r) => setTimeout(r, 0));
      assert.ok(exists(`${root}/app-a`), "the group stays while one of its processes runs");
      const shares = ["app-a", "app-b"].map((g) =>
        Deno.readTextFileSync(`${root}/${g}/cpu.shares`)
      );
      assert.deepEqual(shares.map(Number), [GROUP_SHARES, GROUP_SHARES]);
    } finally {
      for (const p of [a, b, c]) await p.child.stdin.close().catch(() => {});
      await Promise.all([a, b, c].map((p) => p.child.status));
      groups.close();
    }
  },
});

Deno.test({
  name: "CpuGroups removes the groups of a Kiln that is gone, and keeps a live one's",
  ignore,
  fn() {
    const first = openCpuGroups();
    assert.equal(first.state.kind, "cgroup-v1");
    const root = first.state.kind === "cgroup-v1" ? first.state.root : "";
    first.close();
    const parent = root.slice(0, root.lastIndexOf("/"));
    // pid 2^22 + 1 is past Linux's largest pid: never alive.
    const dead = `${parent}/kiln-4194305`;
    const live = `${parent}/kiln-1`;
    Deno.mkdirSync(`${dead}/app-old`, { recursive: true });
    Deno.mkdirSync(live);
    try {
      openCpuGroups().close();
      assert.ok(!exists(dead), "the dead Kiln's groups are gone");
      assert.ok(exists(live), "a live process's are left alone");
    } finally {
      for (const dir of [`${dead}/app-old`, dead, live]) {
        try {
          Deno.removeSync(dir);
        } catch { /* gone */ }
      }
    }
  },
});

Deno.test("openCpuGroups without write permission says why and moves nothing", async () => {
  const module = fileURLToPath(new URL("./cpu_groups.ts", import.meta.url));
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `await Deno.permissions.revoke({ name: "write" });
       const { openCpuGroups } = await import(${JSON.stringify(module)});
       const g = openCpuGroups();
       console.log(JSON.stringify({ state: g.state, joined: g.join("x", Deno.pid, new Promise(() => {})) }));`,
    ],
    stderr: "inherit",
  }).output();
  assert.equal(out.code, 0);
  const { state, joined } = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(state.kind, "none");
  assert.ok(state.reason.length > 0);
  assert.equal(joined, null);
});
