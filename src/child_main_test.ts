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
