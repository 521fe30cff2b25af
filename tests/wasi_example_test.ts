/**
 * The componentize-js example (examples/wasi-js) as an author ships it: built from JavaScript
 * with componentize-js (cached under the CI home after the first build), registered from a
 * directory on a real `kiln serve`, and served over HTTP on the wasm component tier with the
 * tier's limits applying to it. Components that do not implement the handler world are refused
 * at registration, naming what is missing.
 */
import assert from "node:assert/strict";
import { assertError, fetchJson, probe, startAttackKiln, underAttack } from "./_support/attack.ts";
import { buildGreeter, componentFiles } from "../examples/wasi-js/build.ts";

const EXAMPLE = new URL("../examples/wasi-js/state/", import.meta.url);

/** Writes `files` (paths under `state/`) as an app directory; answers the directory. */
async function appDir(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kiln-wasi-app-" });
  for (const [path, content] of Object.entries(files)) {
    const full = `${dir}/state/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(full, content);
  }
  return dir;
}

async function exampleFiles() {
  const read = (name: string) => Deno.readTextFile(new URL(name, EXAMPLE));
  return {
    "app_definition.yaml": await read("app_definition.yaml"),
    // The same component under a smaller memory limit and a roomier deadline: filling 64 MB
    // takes a moment on a loaded machine, and the limit hit must be memory, not time.
    "component_registry.yaml": await read("component_registry.yaml") + `
  - componentId: hoard
    handlerType: jit
    runtime: wasm
    trust: low
    taskDetails: { script: components/greeter.wasm.parts, function: handle, language: wasm }
    routeMatcher: { pathPattern: /hoard, methods: [GET] }
    limits: { timeoutMs: 30000, memoryMb: 64 }
`,
  };
}

Deno.test("the componentize-js example serves over HTTP on the wasm tier, within its limits", async () => {
  const built = await buildGreeter((line) => console.log(line));
  console.log(
    `greeter component: ${built.bytes.length} bytes, ${
      built.cached ? "from the cache" : "built"
    } in ${Math.round(built.ms)} ms`,
  );
  const files = { ...await exampleFiles(), ...componentFiles(built.bytes) };
  const dir = await appDir(files);
  const kiln = await startAttackKiln();
  try {
    // Decoding the component, reading its WIT (registration) and generating its bindings (first
    // request) take seconds of CPU on a 12 MB component: none of it on Kiln's main thread (its
    // CPU time is the load-independent measure: 7.6 s before at load 12, /healthz stalled 10 s).
    const health = probe(kiln.url, "/healthz");
    const cpuBefore = await mainThreadCpuMs(kiln.server.pid);
    let started = performance.now();
    const registered = await kiln.api("POST", "/v1/apps", { directory: dir });
    assert.equal(registered.status, 201, JSON.stringify(registered.json));
    const registerMs = performance.now() - started;
    started = performance.now();
    const hello = await kiln.fetch("/apps/wasi-js/greet?name=Ada");
    const coldMs = performance.now() - started;
    const mainCpu = await mainThreadCpuMs(kiln.server.pid) - cpuBefore;
    const stalls = await health.stop();
    console.log(
      `registered in ${Math.round(registerMs)} ms; Kiln's main thread used ${mainCpu} ms CPU ` +
        `for registration and first request; /healthz meanwhile p99 ${stalls.p99.toFixed(1)} ms, ` +
        `max ${stalls.max.toFixed(1)} ms over ${stalls.count} calls (load ${
          Deno.loadavg()[0].toFixed(1)
        })`,
    );
    assert.deepEqual(stalls.failures, []);
    assert.ok(mainCpu < 4_000, `Kiln's main thread spent ${mainCpu} ms on the component`);
    assert.equal(hello.status, 200, await hello.clone().text());
    assert.equal(hello.headers.get("x-kiln-tier"), "wasm");
    assert.deepEqual(await hello.json(), { greeting: "Hello, Ada!", engine: "StarlingMonkey" });
    const again = await fetchJson(kiln, "/apps/wasi-js/greet?name=Grace");
    console.log(
      `first request ${Math.round(coldMs)} ms, then ${Math.round(again.ms)} ms`,
    );
    assert.deepEqual(again.json, { greeting: "Hello, Grace!", engine: "StarlingMonkey" });

    // Throwing in JavaScript answers the world's `err`: the app's own error code, a 500.
    const unnamed = await fetchJson(kiln, "/apps/wasi-js/greet");
    assertError(unnamed, 500, "NAME_REQUIRED");

    // kiln:host/mcp.call reaches Kiln's tools with the component's own permissions.
    assert.deepEqual((await fetchJson(kiln, "/apps/wasi-js/greet?action=count")).json, {
      count: 1,
    });
    assert.deepEqual((await fetchJson(kiln, "/apps/wasi-js/greet?action=count")).json, {
      count: 2,
    });

    // The tier's limits hold for the JS engine inside the component, and spare the bystander.
    const { result: spin } = await underAttack(
      kiln,
      () => fetchJson(kiln, "/apps/wasi-js/greet?action=spin"),
    );
    assertError(spin, 504, "EXECUTION_TIMEOUT", { reason: "timeout" });
    console.log(`spin answered in ${Math.round(spin.ms)} ms`);
    const hoard = await fetchJson(kiln, "/apps/wasi-js/hoard?action=hoard");
    assertError(hoard, 500, "SANDBOX_KILLED", { reason: "memory" });
    console.log(`hoard answered in ${Math.round(hoard.ms)} ms`);

    const after = await fetchJson(kiln, "/apps/wasi-js/greet?name=Lin");
    assert.equal(after.status, 200, JSON.stringify(after.json));
    assert.deepEqual(after.json, { greeting: "Hello, Lin!", engine: "StarlingMonkey" });
  } finally {
    await kiln.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

/** CPU time (user + system) of a process's main thread, from /proc (clock ticks of 10 ms). */
async function mainThreadCpuMs(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/task/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
