import assert from "node:assert/strict";
import { spawnServer } from "./_support/process.ts";

const TOKEN = "restore-admin-token-0123456789abcdef0123";
const ADMIN = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
/** Apps without components: cheap to register (no build, no host), a definition each to restore. */
const APPS = 12;

async function register(url: string, files: Record<string, string>): Promise<void> {
  const res = await fetch(`${url}/v1/apps`, {
    method: "POST",
    headers: ADMIN,
    body: JSON.stringify({ files }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  await res.body?.cancel();
}

Deno.test("a restarted kiln serve listens before restoring its apps, and requests to them wait", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-restore-" });
  const env = { KILN_ADMIN_TOKEN: TOKEN, KILN_LOG_LEVEL: "error", KILN_CONTAINERS: "off" };
  const args = ["--port", "0", "--data-dir", dataDir, "--no-example"];
  try {
    const first = await spawnServer(args, { env });
    try {
      for (let i = 0; i < APPS; i++) {
        await register(first.url, {
          "app_definition.yaml": `appId: app${i}\ndisplayName: app ${i}\nversion: 1.0.0\n`,
        });
      }
    } finally {
      await first.stop();
    }

    const server = await spawnServer(args, { env });
    try {
      // Sent the moment it listens, while the apps are being restored: each waits for the
      // restore, so an app that exists is never APP_NOT_FOUND (its own 404 is the missing route).
      const calls = Array.from(
        { length: APPS },
        (_, i) => fetch(`${server.url}/apps/app${i}/anything`),
      );
      const listed = fetch(`${server.url}/v1/apps`, { headers: ADMIN });
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
      for (const [i, call] of calls.entries()) {
        const res = await call;
        const body = await res.json() as { error: { code: string } };
        assert.equal(res.status, 404);
        assert.equal(body.error.code, "COMPONENT_NOT_FOUND", `app${i}: the app is there`);
      }
      const apps = await listed;
      assert.equal(apps.status, 200);
      const body = await apps.json() as { apps: { appId: string; status: string }[] };
      assert.deepEqual(
        body.apps.map((a) => `${a.appId} ${a.status}`).sort(),
        Array.from({ length: APPS }, (_, i) => `app${i} ACTIVE`).sort(),
      );
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
