import assert from "node:assert/strict";
import { ComponentHost } from "./_host_process.ts";

/** A component host that says `ready`, then does `onSpawn(frame, send)` for each worker. */
async function withRogueHost(
  onSpawn: string,
  fn: (host: ComponentHost) => Promise<void>,
): Promise<void> {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(
    script,
    `import process from "node:process";
    const send = (frame) => process.send(frame);
    const onSpawn = ${onSpawn};
    process.on("message", (frame) => { if (frame.t === "spawn") onSpawn(frame, send); });
    process.on("disconnect", () => Deno.exit(0));
    send({ t: "ready" });`,
  );
  const command = {
    file: Deno.execPath(),
    compiled: false,
    args: () => ["run", "-A", script],
  };
  const host = await ComponentHost.start({ command, startTimeoutMs: 10_000, strayBytes: 4096 });
  try {
    await fn(host);
  } finally {
    host.kill();
    await host.exited;
    await Deno.remove(script);
  }
}

const code = () => ({ js: "", cores: { "a.wasm": new Uint8Array([0, 97, 115, 109]) } });

/** The message the worker failed with (it fails once its host is gone). */
function failure(host: ComponentHost): Promise<string> {
  const worker = host.worker("k", code);
  return new Promise((resolve) => (worker.onerror = resolve));
}

Deno.test("ComponentHost: frames for workers it never started are stray output, within a budget", async () => {
  await withRogueHost(
    `(frame, send) => {
      for (let i = 0; i < 100; i++) send({ t: "msg", w: 999, m: { type: "log", message: "x".repeat(100) } });
    }`,
    async (host) => {
      assert.match(await failure(host), /more than 4096 bytes of stray output/);
      assert.ok(host.dead);
    },
  );
});

Deno.test("ComponentHost: a frame past what the run's output budget allows ends the host", async () => {
  await withRogueHost(
    `(frame, send) => send({ t: "msg", w: frame.w, m: { type: "log", message: "x".repeat(200_000) } })`,
    async (host) => {
      assert.match(await failure(host), /a frame of the component host exceeded 65536 bytes/);
    },
  );
});

Deno.test("ComponentHost: a spent host with no run going ends at once", async () => {
  await withRogueHost(
    `(frame, send) => send({ t: "spent" })`,
    async (host) => {
      const message = await failure(host);
      assert.match(message, /replaced: a worker it ended did not stop/);
      assert.ok(host.spent && host.dead);
      await host.exited;
    },
  );
});

Deno.test("ComponentHost: a spent host lets a running worker finish, then ends", async () => {
  await withRogueHost(
    `(frame, send) => {
      if (frame.key === "spent") return send({ t: "spent" });
      setTimeout(() => send({ t: "msg", w: frame.w, m: { type: "done", ok: true, value: "1" } }), 300);
    }`,
    async (host) => {
      const running = host.worker("k", code);
      const done = new Promise((resolve) => (running.onmessage = resolve));
      running.postMessage({ type: "run", maxOutputBytes: 1024 });
      host.worker("spent", code);
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(host.spent && !host.dead, "it waits for the running worker");
      const waited = performance.now();
      assert.deepEqual(await done, { type: "done", ok: true, value: "1" });
      await host.exited;
      assert.ok(host.dead);
      assert.ok(performance.now() - waited < 800, "it ended with the run, not at the grace");
    },
  );
});
