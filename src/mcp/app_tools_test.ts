import assert from "node:assert/strict";
import { minimalApp } from "../../tests/_support/kiln.ts";
import { failed, SHOP_COMPONENTS, withTools } from "../../tests/_support/tools.ts";
import type { ToolCaller, ToolCatalog } from "./tool.ts";
import { appToolName, parseAppToolName } from "./app_tools.ts";

const appNames = (tools: ToolCatalog, caller: ToolCaller) =>
  tools.list(caller).map((l) => l.name).filter((n) => n.startsWith("app."));

/** Lets the catalog's coalescing microtask run after the registry's own. */
const settle = () => new Promise<void>((resolve) => queueMicrotask(resolve));

Deno.test("app tool names round-trip and reject what is not one", () => {
  assert.equal(appToolName("shop", "getUser"), "app.shop.getUser");
  assert.deepEqual(parseAppToolName("app.shop.getUser"), { appId: "shop", componentId: "getUser" });
  for (const bad of ["app.shop", "app.Shop.x", "app.shop.x.y", "core.state.x", "app..x"]) {
    assert.equal(parseAppToolName(bad), null, bad);
  }
});

Deno.test("every component of a serving app is a tool with the schemas it declares", async () => {
  await withTools(async ({ tools, admin, key, exec }) => {
    assert.deepEqual(appNames(tools, admin), [
      "app.bank.createUser",
      "app.bank.getUser",
      "app.shop.createUser",
      "app.shop.getUser",
    ]);
    const listing = tools.list(admin);
    const getUser = listing.find((l) => l.name === "app.shop.getUser")!;
    assert.equal(getUser.description, "Reads one user");
    assert.deepEqual(getUser.inputSchema, {
      type: "object",
      properties: { id: { type: "string" } },
      required: ["id"],
    });
    assert.deepEqual(getUser.outputSchema, {
      type: "object",
      properties: { name: { type: "string" } },
    });
    const createUser = listing.find((l) => l.name === "app.shop.createUser")!;
    assert.deepEqual(
      createUser.inputSchema,
      { type: "object", properties: { name: { type: "string" } } },
      "a schema file is read and listed",
    );
    assert.deepEqual(createUser.outputSchema, { type: "object", additionalProperties: true });
    // getUser may only call read-only tools; createUser calls none: both only read.
    assert.deepEqual(getUser.annotations, {
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    });
    assert.equal(createUser.annotations.readOnlyHint, true);

    assert.deepEqual(appNames(tools, key(["invoke"])), ["app.shop.createUser", "app.shop.getUser"]);
    assert.deepEqual(appNames(tools, key(["runtime:*"])), []);
    assert.deepEqual(appNames(tools, exec(["app.shop.getUser", "app.bank.getUser"])), [
      "app.shop.getUser",
    ]);
    const call = await tools.call("app.shop.getUser", { id: "7" }, key(["invoke"]));
    assert.equal(call.isError, undefined, JSON.stringify(call.content));
    assert.deepEqual((call.structuredContent as { req: { input: unknown } }).req.input, {
      id: "7",
    });
    failed(await tools.call("app.shop.getUser", { id: "7" }, key(["*"], "bank")), "FORBIDDEN");
    failed(await tools.call("app.shop.getUser", "not an object", admin), "VALIDATION_ERROR");
    // The component's own inputSchema is checked before it runs, naming the pointer.
    const missing = failed(
      await tools.call("app.shop.getUser", { id: 7 }, admin),
      "VALIDATION_ERROR",
    );
    assert.deepEqual(
      (missing.details as { issues: { pointer: string }[] }).issues.map((i) => i.pointer),
      ["/id"],
    );
  });
});

Deno.test("app tools follow the registry and list_changed fires only when they change", async () => {
  await withTools(async ({ t, tools, admin }) => {
    const registry = t.kiln.registry;
    let changes = 0;
    const stop = tools.onListChanged(() => changes++);

    await registry.registerApplication({ files: minimalApp("blog") });
    await settle();
    assert.equal(changes, 1);
    assert.ok(appNames(tools, admin).includes("app.blog.getUser"));

    await t.kiln.state.setDefinitionFileContent("blog", "notes/a.md", "a\n", undefined, {
      commitMessage: "unrelated",
    });
    await settle();
    assert.equal(changes, 1, "a commit that leaves the components alone changes no tool");

    const edited = SHOP_COMPONENTS.replace("description: Reads one user", "description: Reads");
    await t.kiln.state.setDefinitionFileContent(
      "shop",
      "component_registry.yaml",
      edited,
      undefined,
      {
        commitMessage: "describe",
      },
    );
    await settle();
    assert.equal(changes, 2);
    assert.equal(
      tools.list(admin).find((l) => l.name === "app.shop.getUser")!.description,
      "Reads",
    );

    await registry.setActive("blog", false);
    await settle();
    assert.equal(changes, 3);
    assert.ok(!appNames(tools, admin).some((n) => n.startsWith("app.blog.")));
    await assert.rejects(tools.call("app.blog.getUser", {}, admin), /no tool/);

    await registry.setActive("blog", true);
    await settle();
    assert.equal(changes, 4);
    await registry.deregisterApplication("bank");
    await settle();
    assert.equal(changes, 5);
    assert.ok(!appNames(tools, admin).some((n) => n.startsWith("app.bank.")));

    stop();
    await registry.deregisterApplication("blog");
    await settle();
    assert.equal(changes, 5, "an unsubscribed listener hears nothing");
  });
});
