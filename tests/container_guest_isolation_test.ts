/**
 * What one execution leaves for the next in a reused container: nothing. Guests cannot read or
 * signal the runner, floods and deep results end as SANDBOX_KILLED `output`, memory past the
 * limit as `memory`, and no callback, file, segment or global outlives its execution.
 */
import assert from "node:assert/strict";
import {
  dockerTests,
  jsJob,
  kilnError,
  pyJob,
  RecordingHost,
  withTier,
} from "./_support/containers.ts";

const { ignore } = await dockerTests();
const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore, fn, sanitizeOps: false, sanitizeResources: false });
const one = { poolDefaults: { minInstances: 1, maxInstances: 1 } };

const HOST = `import socket
def handle_request(request_data, context):
    return socket.gethostname()
`;

test("Deno guests: stdout, stderr and console floods are cut with reason output", async () => {
  await withTier(one, async (tier) => {
    for (
      const flood of [
        `const c = new Uint8Array(1 << 20).fill(120); for (let i = 0; i < 150; i++) Deno.stdout.writeSync(c);`,
        `const c = new Uint8Array(1 << 20).fill(121); for (let i = 0; i < 150; i++) Deno.stderr.writeSync(c);`,
        `const line = "z".repeat(1 << 16); for (;;) console.log(line);`,
      ]
    ) {
      const started = performance.now();
      await assert.rejects(tier.execute(jsJob(`${flood} return 1;`)), (err) => {
        kilnError("SANDBOX_KILLED", "output")(err);
        return true;
      });
      const ms = performance.now() - started;
      // Prompt, not after 150 MB: 5 s while the machine has a core per runnable process, scaled
      // by each process's share of the cores beyond that (CI runs this beside the whole suite).
      const share = Math.max(1, Deno.loadavg()[0] / navigator.hardwareConcurrency);
      assert.ok(ms < 5_000 * share, `cutting the flood took ${ms.toFixed(0)} ms (share ${share})`);
    }
    assert.equal((await tier.execute(jsJob(`return "alive";`))).data, "alive");
  });
});

test("Deno guests: ArrayBuffers past memoryMb, touched or not, are reason memory", async () => {
  await withTier(one, async (tier) => {
    const limits = { memoryMb: 64, timeoutMs: 20_000 };
    for (
      const bomb of [
        `const keep = []; for (;;) keep.push(new Uint8Array(8 << 20).fill(1));`,
        `const keep = []; for (;;) keep.push(new ArrayBuffer(16 << 20));`,
      ]
    ) {
      await assert.rejects(tier.execute(jsJob(bomb, { limits })), (err) => {
        kilnError("SANDBOX_KILLED", "memory")(err);
        const e = err as { message: string; details: Record<string, unknown> };
        assert.match(e.message, /exceeded its 64 MB memory limit/);
        assert.equal(e.details.governedBy, "component");
        return true;
      });
    }
    // Within the limit: 32 MB of buffers, a heap of objects, wasm memory (whose guard regions
    // reserve gigabytes of address space) and a Worker (a thread reserving hundreds of MB).
    const fits = await tier.execute(jsJob(
      `const keep = [new Uint8Array(16 << 20).fill(1), new ArrayBuffer(16 << 20)];
       const objs = []; for (let i = 0; i < 2e5; i++) objs.push({ i });
       const wasm = new WebAssembly.Memory({ initial: 16, maximum: 65536 });
       const w = new Worker("data:text/javascript,self.onmessage = (e) => self.postMessage(e.data * 2)",
         { type: "module" });
       const doubled = await new Promise((r) => { w.onmessage = (e) => r(e.data); w.postMessage(21); });
       await new Promise((r) => setTimeout(r, 100));
       w.terminate();
       return keep.length + objs.length + wasm.buffer.byteLength + doubled;`,
      { limits },
    ));
    assert.equal(fits.data, 2 + 2e5 + 16 * 65536 + 42);
  });
});

test("a deferred callback cannot act for a later execution", async () => {
  await withTier(one, async (tier) => {
    const first = new RecordingHost();
    const res = await tier.execute(jsJob(
      `setTimeout(() => mcp.call("core.state.getRuntimeValue", { key: "late" }), 150);
       setInterval(() => log.info("still here"), 20);
       return "first";`,
      { host: first },
    ));
    assert.equal(res.data, "first");
    const second = new RecordingHost();
    const later = await tier.execute(jsJob(
      `await new Promise((r) => setTimeout(r, 400)); return "second";`,
      { host: second },
    ));
    assert.equal(later.data, "second");
    assert.deepEqual([...first.calls, ...second.calls], []);
    assert.deepEqual(second.logs.filter((l) => l.message === "still here"), []);
  });
});

test("components of one app share no globals, files, shared memory or IPC", async () => {
  await withTier(one, async (tier) => {
    await tier.execute(jsJob(`globalThis.shared = "from a"; return 1;`));
    const js = await tier.execute(jsJob(`return globalThis.shared ?? null; // b`));
    assert.equal(js.data, null);

    const writer = `import ctypes, os
def handle_request(request_data, context):
    open("/tmp/left-by-a", "w").write("secret")
    os.makedirs("/tmp/dir/sub")
    open("/dev/shm/seg", "wb").write(b"x" * 4096)
    libc = ctypes.CDLL(None, use_errno=True)
    shm = libc.shmget(0, 1 << 20, 0o1600)
    return {"shm": shm}
`;
    const reader = `import os
def handle_request(request_data, context):
    ipc = open("/proc/sysvipc/shm").read().splitlines()[1:]
    return {"tmp": os.listdir("/tmp"), "shm": os.listdir("/dev/shm"), "ipc": ipc}
`;
    const host = (await tier.execute(pyJob(HOST))).data;
    const wrote = await tier.execute(pyJob(writer));
    assert.ok((wrote.data as { shm: number }).shm >= 0, JSON.stringify(wrote.data));
    const seen = await tier.execute(pyJob(reader));
    assert.deepEqual(seen.data, { tmp: [], shm: [], ipc: [] });
    assert.equal((await tier.execute(pyJob(HOST))).data, host, "the container was reused");
  });
});

test("a result nested past json.depth is SANDBOX_KILLED output, in both runners", async () => {
  await withTier(one, async (tier) => {
    const depth = (err: unknown) => {
      kilnError("SANDBOX_KILLED", "output")(err);
      assert.equal((err as { details: { limit?: string } }).details.limit, "json.depth");
      return true;
    };
    await assert.rejects(
      tier.execute(jsJob(`let v = []; for (let i = 0; i < 300; i++) v = [v]; return v;`)),
      depth,
    );
    await assert.rejects(
      tier.execute(jsJob(`let v = []; for (let i = 0; i < 1e5; i++) v = [v]; return v;`)),
      depth,
    );
    for (const n of [300, 5000]) {
      await assert.rejects(
        tier.execute(pyJob(
          `def handle_request(r, c):\n    v = []\n    for _ in range(${n}):\n        v = [v]\n    return v\n`,
        )),
        depth,
      );
    }
    const ok = await tier.execute(
      jsJob(`let v = []; for (let i = 0; i < 100; i++) v = [v]; return v;`),
    );
    assert.equal(ok.resultType, "generic");
    // A log whose fields nest too deeply keeps its message; the fields are dropped.
    for (
      const job of [
        (host: RecordingHost) =>
          jsJob(
            `let v = {}; for (let i = 0; i < 127; i++) v = { v }; log.info("deep", v); return 1;`,
            { host },
          ),
        (host: RecordingHost) =>
          pyJob(
            `from kiln import log\ndef handle_request(r, c):\n    v = {}\n    for _ in range(127):\n        v = {"v": v}\n    log.info("deep", v)\n    return 1\n`,
            { host },
          ),
      ]
    ) {
      const host = new RecordingHost();
      assert.equal((await tier.execute(job(host))).data, 1);
      const logged = host.logs.find((l) => l.message === "deep");
      assert.ok(logged, JSON.stringify(host.logs));
    }
  });
});

test("a Python guest cannot read, trace, signal or impersonate its runner", async () => {
  await withTier(one, async (tier) => {
    const host = (await tier.execute(pyJob(HOST))).data;
    const probe = `import ctypes, os, signal, socket
def handle_request(request_data, context):
    out = {}
    for path in ["/proc/1/mem", "/proc/1/environ", "/proc/1/maps"]:
        try:
            open(path, "rb").read(16)
            out[path] = "read"
        except OSError as e:
            out[path] = e.strerror
    try:
        os.listdir("/proc/1/fd")
        out["fd"] = "listed"
    except OSError as e:
        out["fd"] = e.strerror
    libc = ctypes.CDLL(None, use_errno=True)
    out["ptrace"] = libc.ptrace(16, 1, 0, 0)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL):
        os.kill(1, sig)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect("/kiln/runner.sock")
    try:
        s.sendall(b"GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
        out["runner"] = s.recv(100).decode()
    except OSError:
        out["runner"] = ""
    for path in ["/kiln/x", "/kiln/runner.sock"]:
        try:
            if path.endswith(".sock"):
                os.unlink(path)
            else:
                open(path, "w").write("x")
            out[path] = "written"
        except OSError as e:
            out[path] = e.strerror
    return out
`;
    const data = (await tier.execute(pyJob(probe))).data as Record<string, unknown>;
    assert.deepEqual(data, {
      "/proc/1/mem": "Permission denied",
      "/proc/1/environ": "Permission denied",
      "/proc/1/maps": "Permission denied",
      fd: "Permission denied",
      ptrace: -1,
      runner: "",
      "/kiln/x": "Permission denied",
      "/kiln/runner.sock": "Permission denied",
    });
    assert.equal((await tier.execute(pyJob(HOST))).data, host, "the runner survived in place");
  });
});
