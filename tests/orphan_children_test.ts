/**
 * Kiln's child processes (each app's isolate host, spares, component host and prompt renderer)
 * never outlive it: killed with SIGKILL — no shutdown of its own — `kiln serve` leaves nothing
 * running, even while hosts run guests and a renderer renders a template.
 */
import assert from "node:assert/strict";
import { startAttackKiln } from "./_support/attack.ts";
import { encodeBase64, fixtureComponent } from "./fixtures/components/_base64.ts";

/** Pids of `pid`'s child processes (Linux `/proc`), with their command lines. */
function children(pid: number): Map<number, string> {
  const found = new Map<number, string>();
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    let text = "";
    try {
      text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
    } catch { /* the thread ended */ }
    for (const child of text ? text.split(/\s+/).map(Number) : []) {
      try {
        found.set(child, Deno.readTextFileSync(`/proc/${child}/cmdline`).replaceAll("\0", " "));
      } catch { /* exited meanwhile */ }
    }
  }
  return found;
}

/** Alive (a zombie waiting for its reaper is not). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return false;
  }
}

const APP = {
  "app_definition.yaml": "appId: busy\ndisplayName: busy\nversion: 1.0.0\n",
  "component_registry.yaml": `components:
  - componentId: spin
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/spin.ts, function: spin, language: typescript }
    routeMatcher: { pathPattern: /spin, methods: [POST] }
    limits: { timeoutMs: 20000 }
  - componentId: render
    handlerType: llm
    taskDetails: { promptTemplate: loops }
    routeMatcher: { pathPattern: /render, methods: [POST] }
    limits: { timeoutMs: 20000 }
  - componentId: wspin
    handlerType: jit
    runtime: wasm
    taskDetails: { script: components/spin.wasm.b64, function: handle, language: wasm }
    routeMatcher: { pathPattern: /wspin, methods: [POST] }
    limits: { timeoutMs: 20000 }
`,
  "code/spin.ts": "export function spin() { for (;;) {} }\n",
  "prompts/loops.yaml": `template: ${
    JSON.stringify("{% for a in range(4000) %}{% for b in range(4000) %}x{% endfor %}{% endfor %}")
  }\n`,
};

Deno.test("kiln serve killed with SIGKILL leaves none of its child processes running", async () => {
  const kiln = await startAttackKiln();
  const seen = new Map<number, string>();
  try {
    await kiln.register({
      ...APP,
      "components/spin.wasm.b64": encodeBase64(await fixtureComponent("spin")) + "\n",
    });
    // Guests busy on their hosts' workers, a template busy on its renderer's.
    for (const path of ["/apps/busy/spin", "/apps/busy/render", "/apps/busy/wspin"]) {
      void kiln.fetch(path, { method: "POST", body: "{}" }).then((r) => r.body?.cancel(), () => {});
    }
    const deadline = Date.now() + 20_000;
    const has = (what: string) => [...seen.values()].some((line) => line.includes(what));
    const all = () => has("__renderer") && has("__isolate-host") && has("__component-host");
    while (!all() && Date.now() < deadline) {
      for (const [pid, line] of children(kiln.server.pid)) seen.set(pid, line);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(all(), `not every kind of child started: ${[...seen.values()].join("\n")}`);
    // The bystander's host, the busy app's and a spare: all of Kiln's children right now.
    for (const [pid, line] of children(kiln.server.pid)) seen.set(pid, line);
    await new Promise((r) => setTimeout(r, 200));
    await kiln.server.kill("SIGKILL");
    const left = () => [...seen.keys()].filter(alive);
    const until = Date.now() + 5_000;
    while (left().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      left().map((pid) => `${pid}: ${seen.get(pid)}`),
      [],
      "Kiln's children outlived it by 5 s",
    );
  } finally {
    for (const pid of seen.keys()) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
    // Already killed: stopping it only removes its data dir.
    await kiln.stop().catch(() => Deno.remove(kiln.dataDir, { recursive: true }).catch(() => {}));
  }
});
