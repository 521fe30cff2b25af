import assert from "node:assert/strict";
import { connectV1, within } from "./_support/mcp_clients.ts";
import { childCommandLines, kiln, spawnServer } from "./_support/process.ts";

Deno.test("kiln version, help and misuse exit codes", async () => {
  const version = await kiln(["version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
  for (const args of [["--help"], ["serve", "--help"], ["app", "--help"]]) {
    const help = await kiln(args);
    assert.equal(help.code, 0, args.join(" "));
    assert.match(help.stdout, /Usage: kiln/);
  }
  // Kiln's hidden subcommands (itself as isolate host or renderer) are nobody's to type.
  const help = await kiln(["--help"]);
  const completions = await kiln(["completions", "bash"]);
  assert.equal(completions.code, 0);
  for (const text of [help.stdout, completions.stdout]) {
    assert.doesNotMatch(text, /__isolate|__render/);
  }
  const unknown = await kiln(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  const badPort = await kiln(["serve", "--port", "http"]);
  assert.equal(badPort.code, 2);
  assert.match(badPort.stderr, /--port must be a number/);
  const badFlag = await kiln(["serve", "--bogus"]);
  assert.equal(badFlag.code, 2);
  const dir = await Deno.makeTempDir({ prefix: "kiln-config-" });
  try {
    const noFile = await kiln(["serve", "--config", `${dir}/none.yaml`]);
    assert.equal(noFile.code, 2);
    assert.match(noFile.stderr, /--config: cannot read ".*none\.yaml"/);
    await Deno.writeTextFile(`${dir}/list.yaml`, "- a\n- b\n");
    const list = await kiln(["serve", "--config", `${dir}/list.yaml`]);
    assert.equal(list.code, 2);
    assert.match(list.stderr, /must hold a mapping of keys to values, found a list/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kiln serve --config sets the global configuration level under every app's own", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-config-" });
  await Deno.writeTextFile(`${dataDir}/global.yaml`, "region: eu\nescalationScore: 3\n");
  const server = await spawnServer([
    "--port",
    "0",
    "--data-dir",
    dataDir,
    "--config",
    `${dataDir}/global.yaml`,
  ], { env: { KILN_ADMIN_TOKEN: "config-test-token-0123456789" } });
  try {
    const get = async (key: string) =>
      await (await fetch(`${server.url}/v1/apps/support-desk/config/${key}`, {
        headers: { authorization: "Bearer config-test-token-0123456789" },
      })).json();
    assert.deepEqual(await get("region"), { found: true, value: "eu", source: "global" });
    const own = await get("escalationScore");
    assert.notEqual(own.source, "global", "the app's own value wins over the global one");
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("kiln serve registers the example on first start; app register/list/show work", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-cli-" });
  const server = await spawnServer(["--port", "0", "--data-dir", dataDir]);
  try {
    assert.ok(server.token, "a generated admin token is printed on first start");
    const env = { KILN_URL: server.url, KILN_ADMIN_TOKEN: server.token! };
    const list = await kiln(["app", "list"], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /support-desk\s+ACTIVE/);

    const appDir = await Deno.makeTempDir();
    await Deno.mkdir(`${appDir}/state`);
    await Deno.writeTextFile(
      `${appDir}/state/app_definition.yaml`,
      "appId: cli-app\ndisplayName: CLI\nversion: '1'\n",
    );
    const reg = await kiln(["app", "register", appDir], env);
    assert.equal(reg.code, 0, reg.stderr);
    assert.match(reg.stdout, /registered cli-app \(ACTIVE\)/);
    const again = await kiln(["app", "register", appDir], env);
    assert.equal(again.code, 5, "a conflict");
    assert.match(again.stderr, /APP_EXISTS/);

    const show = await kiln(["app", "show", "cli-app", "--json"], env);
    assert.equal(show.code, 0);
    assert.equal(JSON.parse(show.stdout).displayName, "CLI");
    const missing = await kiln(["app", "show", "ghost"], env);
    assert.equal(missing.code, 4, "not found");
    assert.match(missing.stderr, /APP_NOT_FOUND/);
    const notDir = await kiln(["app", "register", `${appDir}/nope`], env);
    assert.equal(notDir.code, 1);
    assert.match(notDir.stderr, /no state\/ folder/);
    const noToken = await kiln(["app", "list"], {
      KILN_URL: server.url,
      KILN_CONFIG_DIR: `${dataDir}/no-profiles`,
    });
    assert.equal(noToken.code, 2);
    await Deno.remove(appDir, { recursive: true });
  } finally {
    assert.equal(await server.stop(), 0);
    await Deno.remove(dataDir, { recursive: true });
  }
  const second = await Deno.makeTempDir({ prefix: "kiln-cli-" });
  await Deno.remove(second, { recursive: true });
});

Deno.test("a restarted server keeps its token hash and does not print a new token", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-cli-" });
  try {
    const first = await spawnServer(["--port", "0", "--data-dir", dataDir, "--no-example"]);
    const token = first.token!;
    await first.stop();
    const second = await spawnServer(["--port", "0", "--data-dir", dataDir]);
    try {
      assert.equal(second.token, undefined);
      const list = await kiln(["app", "list", "--json"], {
        KILN_URL: second.url,
        KILN_ADMIN_TOKEN: token,
      });
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(JSON.parse(list.stdout), [], "no example on a non-empty data dir");
    } finally {
      await second.stop();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a KILN_ADMIN_TOKEN given once stays the admin token after a restart without it", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-cli-" });
  const token = "given-admin-token-0123456789abcdef";
  try {
    const first = await spawnServer(["--port", "0", "--data-dir", dataDir, "--no-example"], {
      env: { KILN_ADMIN_TOKEN: token },
    });
    try {
      assert.equal(first.token, undefined, "a given token is never printed");
      // Answered once the deferred start-up, which stores the token's hash, has run.
      const list = await kiln(["app", "list", "--json"], {
        KILN_URL: first.url,
        KILN_ADMIN_TOKEN: token,
      });
      assert.equal(list.code, 0, list.stderr);
    } finally {
      assert.equal(await first.stop(), 0);
    }
    const second = await spawnServer(["--port", "0", "--data-dir", dataDir], {
      env: { KILN_ADMIN_TOKEN: "" },
    });
    try {
      assert.equal(second.token, undefined, "the stored hash is kept: no new token");
      const ok = await kiln(["app", "list", "--json"], {
        KILN_URL: second.url,
        KILN_ADMIN_TOKEN: token,
      });
      assert.equal(ok.code, 0, ok.stderr);
      const wrong = await kiln(["app", "list"], {
        KILN_URL: second.url,
        KILN_ADMIN_TOKEN: `${token}x`,
      });
      assert.notEqual(wrong.code, 0);
    } finally {
      await second.stop();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("kiln serve runs the example app on every tier with read and write limited to its data dir (deno compile safety)", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-perm-" });
  const server = await spawnServer(["--port", "0", "--data-dir", dataDir], {
    permissions: [
      `--allow-read=${dataDir}`,
      `--allow-write=${dataDir}`,
      "--allow-net=127.0.0.1",
      "--allow-env",
      `--allow-run=${Deno.execPath()}`,
    ],
    env: { KILN_ADMIN_TOKEN: "perm-test-token-0123456789" },
  });
  try {
    const res = await fetch(`${server.url}/v1/apps/support-desk`, {
      headers: { authorization: "Bearer perm-test-token-0123456789" },
    });
    const json = await res.json();
    assert.equal(res.status, 200, JSON.stringify(json));
    assert.equal(json.status, "ACTIVE");
    const docs = await fetch(`${server.url}/docs/assets/swagger-ui.css`);
    assert.equal(docs.status, 200);
    // The admin panel's shell and embedded bundle, with no read access to the source.
    const panel = await fetch(`${server.url}/admin/apps`);
    const shell = await panel.text();
    assert.equal(panel.status, 200);
    const script = /src="(\/admin\/assets\/app\.js\?v=\w+)"/.exec(shell)?.[1];
    const bundle = await fetch(`${server.url}${script}`);
    assert.equal(bundle.status, 200);
    assert.ok((await bundle.text()).length > 10_000);
    await docs.body?.cancel();

    const app = `${server.url}/apps/support-desk`;
    const health = await fetch(`${app}/health`);
    assert.equal(health.status, 200, await health.clone().text());
    assert.equal(health.headers.get("x-kiln-tier"), "isolate");
    assert.equal((await health.json()).status, "ok");
    const counts = [];
    for (let i = 0; i < 2; i++) {
      const visits = await fetch(`${app}/visits`);
      assert.equal(visits.status, 200, await visits.clone().text());
      counts.push((await visits.json()).visits);
    }
    assert.equal(counts[1], counts[0] + 1, "visits counts through mcp.call into runtime state");
    // The isolate host is Kiln itself (its hidden subcommand), on the very binary Kiln runs on.
    const hosts = (await childCommandLines(server.pid)).filter((argv) =>
      argv.includes("__isolate-host")
    );
    assert.ok(hosts.length > 0, "an isolate host runs as `kiln __isolate-host`");
    for (const argv of hosts) {
      assert.equal(await Deno.realPath(argv[0]), await Deno.realPath(Deno.execPath()));
      assert.match(argv[argv.indexOf("__isolate-host") - 1], /\/src\/child_main\.ts$/);
      assert.ok(!argv.some((arg) => arg.startsWith("--allow")), argv.join(" "));
    }
    const echo = await fetch(`${app}/echo?x=1`, { method: "POST", body: "ping" });
    assert.equal(echo.status, 200);
    assert.equal(echo.headers.get("x-kiln-tier"), "wasm");
    assert.equal(echo.headers.get("x-echo-method"), "POST");
    assert.equal(await echo.text(), "ping");
    const priority = await fetch(`${app}/tickets/priority`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        subject: "Outage",
        description: "we cannot log in, urgent",
        customerTier: "enterprise",
        affectedUsers: 400,
      }),
    });
    const scored = await priority.json();
    assert.equal(priority.status, 200, JSON.stringify(scored));
    assert.equal(scored.priority, "P1");
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("kiln serve serves /mcp and stops on SIGTERM while a client holds a listen stream", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-cli-" });
  const token = "cli-mcp-token-0123456789abcdef";
  const server = await spawnServer(["--port", "0", "--data-dir", dataDir], {
    env: { KILN_ADMIN_TOKEN: token },
  });
  try {
    const { client, watch } = await connectV1(new URL(`${server.url}/mcp?app=support-desk`), token);
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name.startsWith("app.support-desk.")));
    await within(watch.opened, 15_000, "the listen stream");
    assert.equal(await within(server.stop(), 30_000, "shutdown with an open stream"), 0);
    await client.close();
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
