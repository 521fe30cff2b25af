import assert from "node:assert/strict";
import { dockerTests, jsJob, kilnError, pyJob, withTier } from "./_support/containers.ts";

const { ignore } = await dockerTests();
const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore, fn, sanitizeOps: false, sanitizeResources: false });

const ALIVE = `def handle_request(request_data, context):\n    return "alive"\n`;

test("a Python fork bomb is held by the pids limit and the deadline; the tier keeps serving", async () => {
  await withTier({ poolDefaults: { maxInstances: 1 } }, async (tier) => {
    const bomb = `import os
def handle_request(request_data, context):
    n = 0
    while True:
        try:
            if os.fork() == 0:
                while True:
                    pass
            n += 1
        except OSError:
            pass
`;
    const started = Date.now();
    await assert.rejects(
      tier.execute(pyJob(bomb, { limits: { timeoutMs: 2_000 } })),
      kilnError("EXECUTION_TIMEOUT", "timeout"),
    );
    assert.ok(Date.now() - started < 10_000, "the bomb held Kiln past its deadline");
    assert.equal((await tier.execute(pyJob(ALIVE))).data, "alive");
  });
});

test("a Python memory bomb is killed for memory; the tier keeps serving", async () => {
  await withTier({ poolDefaults: { maxInstances: 1 } }, async (tier) => {
    const bomb = `def handle_request(request_data, context):
    keep = []
    while True:
        keep.append(bytearray(8 << 20))
`;
    await assert.rejects(
      tier.execute(pyJob(bomb, { limits: { memoryMb: 64, timeoutMs: 10_000 } })),
      kilnError("SANDBOX_KILLED", "memory"),
    );
    assert.equal((await tier.execute(pyJob(ALIVE))).data, "alive");
  });
});

test("filling the disk stops at the tmpfs size and the root is read-only", async () => {
  await withTier({ poolDefaults: { maxInstances: 1, tmpfsBytes: 16 << 20 } }, async (tier) => {
    const fill = `import os
def handle_request(request_data, context):
    written, error = 0, None
    try:
        with open("/tmp/fill", "wb") as f:
            while written < (256 << 20):
                f.write(b"x" * (1 << 20))
                f.flush()
                written += 1 << 20
    except OSError as e:
        error = e.strerror
    os.remove("/tmp/fill")
    root = None
    for path in ["/fill", "/runner/x", "/usr/x", "/etc/passwd"]:
        try:
            open(path, "a").write("x")
            root = path
        except OSError as e:
            pass
    return {"written_mb": written >> 20, "error": error, "root_writable": root}
`;
    const res = await tier.execute(pyJob(fill));
    const data = res.data as { written_mb: number; error: string; root_writable: string | null };
    assert.equal(data.error, "No space left on device");
    assert.ok(data.written_mb <= 16, `${data.written_mb} MB written`);
    assert.equal(data.root_writable, null);
  });
});

test("a container has no network: only loopback, no route out, no DNS", async () => {
  await withTier({ poolDefaults: { maxInstances: 1 } }, async (tier) => {
    const probe = `import socket
def handle_request(request_data, context):
    out = {"interfaces": [n for _, n in socket.if_nameindex()]}
    for name, target in [("ip", ("1.1.1.1", 80)), ("gateway", ("172.17.0.1", 80))]:
        try:
            socket.create_connection(target, timeout=2).close()
            out[name] = "connected"
        except OSError as e:
            out[name] = type(e).__name__
    try:
        socket.getaddrinfo("example.com", 80)
        out["dns"] = "resolved"
    except OSError as e:
        out["dns"] = type(e).__name__
    return out
`;
    const data = (await tier.execute(pyJob(probe))).data as Record<string, unknown>;
    assert.deepEqual(data.interfaces, ["lo"]);
    assert.notEqual(data.ip, "connected");
    assert.notEqual(data.gateway, "connected");
    assert.notEqual(data.dns, "resolved");
    const js = await tier.execute(jsJob(
      `try { await fetch("http://1.1.1.1/"); return "connected"; } catch (e) { return String(e.message).slice(0, 80); }`,
    ));
    assert.notEqual(js.data, "connected");
  });
});

test("a Python component runs as the unprivileged sandbox user with no capabilities", async () => {
  await withTier({ poolDefaults: { maxInstances: 1 } }, async (tier) => {
    const probe = `import os
def handle_request(request_data, context):
    status = open("/proc/self/status").read()
    caps = [l.split()[1] for l in status.splitlines() if l.startswith(("CapEff", "CapBnd"))]
    nnp = [l.split()[1] for l in status.splitlines() if l.startswith("NoNewPrivs")]
    return {"uid": os.getuid(), "gid": os.getgid(), "caps": caps, "nnp": nnp}
`;
    const data = (await tier.execute(pyJob(probe))).data;
    assert.deepEqual(data, {
      uid: 10001,
      gid: 10001,
      caps: ["0000000000000000", "0000000000000000"],
      nnp: ["1"],
    });
  });
});

test("a guest cannot replace its runner's socket or plant one of its own", async () => {
  await withTier({ poolDefaults: { maxInstances: 1 } }, async (tier) => {
    const hijack = `import os, socket
def handle_request(request_data, context):
    out = {}
    try:
        os.unlink("/kiln/runner.sock")
        out["unlink"] = "done"
    except OSError as e:
        out["unlink"] = e.strerror
    try:
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).bind("/kiln/impostor.sock")
        out["bind"] = "done"
    except OSError as e:
        out["bind"] = e.strerror
    return out
`;
    // The socket directory is on the host's disk: once the runner is up, Kiln makes it read-only
    // to the sandbox user, so the runner's socket stays the runner's.
    assert.deepEqual((await tier.execute(pyJob(hijack))).data, {
      unlink: "Permission denied",
      bind: "Permission denied",
    });
    assert.equal((await tier.execute(pyJob(ALIVE))).data, "alive");
  });
});
