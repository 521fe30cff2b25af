import assert from "node:assert/strict";

Deno.test("dropPermissions() leaves a process started with -A no access at all, scoped grants too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kiln-drop-" });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accept = (async () => {
    for await (const conn of listener) conn.close();
  })().catch(() => {});
  // Each probe is a real operation that works before the drop (checked) and must fail after.
  const script = `
    const { dropPermissions } = await import(${
    JSON.stringify(new URL("./child_main.ts", import.meta.url).href)
  });
    const probes = {
      read: () => Deno.readTextFileSync(${JSON.stringify(`${dir}/m.js`)}),
      write: () => Deno.writeTextFileSync(${JSON.stringify(`${dir}/f`)}, "x"),
      net: async () => (await Deno.connect({ hostname: "127.0.0.1", port: ${listener.addr.port} })).close(),
      env: () => Deno.env.get("HOME"),
      run: () => new Deno.Command("/bin/true").outputSync(),
      sys: () => Deno.hostname(),
      ffi: () => Deno.dlopen("libc.so.6", {}).close(),
      import: () => import(${JSON.stringify(`file://${dir}/m.js`)} + "?" + Math.random()),
    };
    const outcome = async () => {
      const out = {};
      for (const [name, probe] of Object.entries(probes)) {
        try { await probe(); out[name] = "ok"; } catch (e) { out[name] = e.name; }
      }
      return out;
    };
    Deno.writeTextFileSync(${JSON.stringify(`${dir}/m.js`)}, "export {};");
    const before = await outcome();
    const kept = dropPermissions();
    console.log(JSON.stringify({ before, kept, after: await outcome() }));`;
  const scoped = [
    `--allow-read=${dir}`,
    `--allow-write=${dir}`,
    "--allow-net=127.0.0.1",
    "--allow-env=HOME",
    "--allow-run=/bin/true",
    "--allow-sys=hostname",
    "--allow-ffi",
  ];
  try {
    for (const grant of [["--allow-all"], scoped]) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["eval", "--no-config", ...grant, script],
        env: { HOME: dir },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const { before, kept, after } = JSON.parse(new TextDecoder().decode(out.stdout));
      const names = ["read", "write", "net", "env", "run", "sys", "ffi", "import"];
      assert.deepEqual(before, Object.fromEntries(names.map((n) => [n, "ok"])), grant[0]);
      assert.deepEqual(kept, [], grant[0]);
      for (const name of names) {
        assert.match(after[name], /NotCapable|TypeError/, `${grant[0]}: ${name} still works`);
      }
    }
  } finally {
    listener.close();
    await accept;
    await Deno.remove(dir, { recursive: true });
  }
});

/** Whether process `pid` is alive (a zombie waiting for its reaper is not). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return false;
  }
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

// A stand-in for Kiln: starts both children as Kiln does (the isolate host on a channel at fd 3,
// the renderer on a stdin pipe), then hands its own end of each to a `sleep` that outlives it —
// so when it dies, neither child sees its channel close. Prints the pids once the host is ready.
const STAND_IN = `
import { spawn } from "node:child_process";
const [file, host, renderer] = JSON.parse(Deno.args[0]);
const env = { NO_COLOR: "1", DENO_NO_PROMPT: "1" };
const h = spawn(file, host, { env: { ...env, NODE_CHANNEL_FD: "3" }, stdio: ["ignore", "ignore", "inherit", "pipe"] });
const r = spawn(file, renderer, { env, stdio: ["pipe", "ignore", "inherit"] });
h.stdio[3].on("data", (bytes) => {
  if (!String(bytes).includes('"ready"')) return;
  const holder = spawn("sleep", ["60"], { stdio: [r.stdin, "ignore", "ignore", h.stdio[3]] });
  console.log(JSON.stringify({ host: h.pid, renderer: r.pid, holder: holder.pid }));
});
`;

Deno.test("a child exits once the Kiln that started it is gone, even while its channel stays open", async () => {
  const { kilnChildCommand } = await import("./core/mod.ts");
  const command = kilnChildCommand({ allowAll: true });
  // Spelled differently from Deno's own path: node's spawn would rewrite its arguments.
  const file = command.file.replace(/\/([^/]+)$/, "/./$1");
  const config = {
    warm: 1,
    maxWorkers: 1,
    memoryMb: 64,
    idleWorkerMs: 30_000,
    doneBatchBytes: 65_536,
    capBaseMb: 512,
    capWorkerMb: 64,
  };
  const standIn = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--no-config",
      STAND_IN,
      JSON.stringify([
        file,
        command.args("__isolate-host", [], [JSON.stringify(config)]),
        command.args("__renderer", [], ["nonce", "1"]),
      ]),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = standIn.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const pids = JSON.parse(text) as { host: number; renderer: number; holder: number };
  try {
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(alive(pids.host) && alive(pids.renderer), "both children run before the kill");
    standIn.kill("SIGKILL");
    await standIn.status;
    // The channels stay open (the holder has Kiln's ends): only the parent check can end them.
    assert.ok(alive(pids.holder));
    assert.ok(await gone(pids.host, 3_000), "the isolate host outlived its Kiln");
    assert.ok(await gone(pids.renderer, 3_000), "the prompt renderer outlived its Kiln");
  } finally {
    for (const pid of Object.values(pids)) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
    await reader.cancel().catch(() => {});
  }
});
