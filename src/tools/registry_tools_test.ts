import assert from "node:assert/strict";
import { minimalApp } from "../../tests/_support/kiln.ts";
import { failed, ok, withTools } from "../../tests/_support/tools.ts";

Deno.test("registry tools read apps; app tokens see only their own app", async () => {
  await withTools(async ({ tools, admin, key }) => {
    const all = ok(
      await tools.call("core.framework.listActiveApplications", {}, { kind: "admin" }),
    );
    assert.deepEqual(all.apps.map((a: { appId: string }) => a.appId), ["bank", "shop"]);
    const own = ok(
      await tools.call("core.framework.listActiveApplications", {}, key(["app:read"])),
    );
    assert.deepEqual(own.apps.map((a: { appId: string }) => a.appId), ["shop"]);

    const details = ok(
      await tools.call("core.framework.getApplicationDetails", { appId: "bank" }, admin),
    );
    assert.equal(details.appId, "bank");
    assert.deepEqual(details.components.map((c: { componentId: string }) => c.componentId), [
      "getUser",
      "createUser",
    ]);
    const status = ok(
      await tools.call("core.framework.getApplicationStatus", { appId: "shop" }, key(["app:read"])),
    );
    assert.equal(status.status, "ACTIVE");
    failed(
      await tools.call("core.framework.getApplicationStatus", { appId: "bank" }, key(["app:read"])),
      "FORBIDDEN",
    );
    failed(
      await tools.call("core.framework.getApplicationDetails", { appId: "ghost" }, admin),
      "APP_NOT_FOUND",
    );
  });
});

Deno.test("registerApplication() and deregisterApplication() are the admin's", async () => {
  await withTools(async ({ t, tools, key }) => {
    const admin = { kind: "admin" } as const;
    const files = minimalApp("blog");
    failed(await tools.call("core.framework.registerApplication", { files }, key()), "FORBIDDEN");
    const made = ok(await tools.call("core.framework.registerApplication", { files }, admin));
    assert.equal(made.appId, "blog");
    assert.equal(made.status, "ACTIVE");
    failed(await tools.call("core.framework.registerApplication", { files }, admin), "APP_EXISTS");
    failed(
      await tools.call("core.framework.registerApplication", { files, directory: "/x" }, admin),
      "VALIDATION_ERROR",
    );
    failed(
      await tools.call(
        "core.framework.deregisterApplication",
        { appId: "blog" },
        key(["*"], "blog"),
      ),
      "FORBIDDEN",
    );
    assert.deepEqual(
      ok(
        await tools.call("core.framework.deregisterApplication", {
          appId: "blog",
          deleteState: true,
        }, admin),
      ),
      { deregistered: true },
    );
    assert.equal(await t.kiln.state.definitions.repoExists("blog"), false);
    failed(
      await tools.call("core.framework.deregisterApplication", { appId: "blog" }, admin),
      "APP_NOT_FOUND",
    );
  });
});
