import assert from "node:assert/strict";
import { ADMIN_TOKEN, minimalApp, startKiln } from "./_support/kiln.ts";

Deno.test("POST /v1/apps registers files and the app is listed, detailed and ACTIVE", async () => {
  const t = await startKiln();
  try {
    const reg = await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    assert.equal(reg.status, 201, JSON.stringify(reg.json));
    assert.equal(reg.json.appId, "shop");
    assert.equal(reg.json.status, "ACTIVE");
    assert.match(reg.json.revision, /^[0-9a-f]{40}$/);
    assert.equal(reg.json.components.length, 2);

    const list = await t.call("GET", "/v1/apps");
    assert.deepEqual(list.json.apps.map((a: { appId: string }) => a.appId), ["shop"]);
    const status = await t.call("GET", "/v1/apps/shop/status");
    assert.equal(status.json.status, "ACTIVE");
  } finally {
    await t.close();
  }
});

Deno.test("registering an app twice answers 409 APP_EXISTS and keeps the first", async () => {
  const t = await startKiln();
  try {
    const first = await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    const again = await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    assert.equal(again.status, 409);
    assert.equal(again.json.error.code, "APP_EXISTS");
    assert.equal((await t.call("GET", "/v1/apps/shop")).json.revision, first.json.revision);
  } finally {
    await t.close();
  }
});

Deno.test("an invalid app is refused with its issues and leaves no app or repo behind", async () => {
  const t = await startKiln();
  try {
    const bad = minimalApp("broken", {
      "component_registry.yaml":
        "components:\n  - componentId: x\n    handlerType: bogus\n    taskDetails: {}\n",
    });
    const res = await t.call("POST", "/v1/apps", { files: bad });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, "VALIDATION_ERROR");
    assert.ok(JSON.stringify(res.json.error.details).includes("component_registry.yaml"));
    assert.equal((await t.call("GET", "/v1/apps/broken")).status, 404);
    await assert.rejects(Deno.stat(`${t.dataDir}/apps/broken.git`));
  } finally {
    await t.close();
  }
});

Deno.test("malformed YAML, alias bombs and bad appIds are clear 400s", async () => {
  const t = await startKiln();
  try {
    const cases: Record<string, string>[] = [
      { "app_definition.yaml": "appId: [unclosed\n" },
      {
        "app_definition.yaml": 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' +
          "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" +
          "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n" +
          "f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\nappId: bomb\ndisplayName: x\nversion: '1'\n",
      },
      { "app_definition.yaml": "appId: Not_Valid\ndisplayName: x\nversion: '1'\n" },
      { "component_registry.yaml": "components: []\n" },
    ];
    for (const [i, files] of cases.entries()) {
      const started = performance.now();
      const res = await t.call("POST", "/v1/apps", { files });
      assert.equal(res.status, 400, JSON.stringify(res.json));
      // The alias bomb crosses a budget; the others are plain validation errors.
      assert.equal(res.json.error.code, i === 1 ? "LIMIT_EXCEEDED" : "VALIDATION_ERROR");
      if (i === 1) assert.equal(res.json.error.details.limit, "yaml.aliases");
      assert.ok(performance.now() - started < 2_000, "refused quickly");
    }
    assert.deepEqual((await t.call("GET", "/v1/apps")).json.apps, []);
  } finally {
    await t.close();
  }
});

Deno.test("registration from a directory and from a gzipped tarball", async () => {
  const t = await startKiln();
  const dir = await Deno.makeTempDir();
  try {
    for (const [path, content] of Object.entries(minimalApp("from-dir"))) {
      await Deno.mkdir(`${dir}/app/state/${path}`.replace(/\/[^/]+$/, ""), { recursive: true });
      await Deno.writeTextFile(`${dir}/app/state/${path}`, content);
    }
    const fromDir = await t.call("POST", "/v1/apps", { directory: `${dir}/app` });
    assert.equal(fromDir.status, 201, JSON.stringify(fromDir.json));

    await Deno.writeTextFile(
      `${dir}/app/state/app_definition.yaml`,
      "appId: from-tar\ndisplayName: Tar\nversion: '2'\n",
    );
    const tar = await new Deno.Command("tar", { args: ["czf", `${dir}/app.tgz`, "-C", dir, "app"] })
      .output();
    assert.ok(tar.success);
    const res = await t.raw(
      new Request("http://kiln.test/v1/apps", {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/gzip" },
        body: await Deno.readFile(`${dir}/app.tgz`),
      }),
    );
    const json = await res.json();
    assert.equal(res.status, 201, JSON.stringify(json));
    assert.equal(json.appId, "from-tar");
    assert.equal(json.version, "2");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await t.close();
  }
});

Deno.test("a directory with a symlink escaping the app is refused", async () => {
  const t = await startKiln();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/state`);
    await Deno.writeTextFile(
      `${dir}/state/app_definition.yaml`,
      "appId: sneaky\ndisplayName: s\nversion: '1'\n",
    );
    await Deno.symlink("/etc/passwd", `${dir}/state/passwd.yaml`);
    const res = await t.call("POST", "/v1/apps", { directory: dir });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, "PATH_NOT_ALLOWED");
    assert.equal((await t.call("GET", "/v1/apps/sneaky")).status, 404);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await t.close();
  }
});

Deno.test("component lookup by id and by route extracts path parameters", async () => {
  const t = await startKiln();
  try {
    await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    const byRoute = await t.call("GET", "/v1/apps/shop/route?path=/api/users/42&method=GET");
    assert.equal(byRoute.json.found, true);
    assert.equal(byRoute.json.definition.componentId, "getUser");
    assert.deepEqual(byRoute.json.extractedPathParameters, { id: "42" });
    const miss = await t.call("GET", "/v1/apps/shop/route?path=/api/users/42&method=DELETE");
    assert.equal(miss.json.found, false);
    const byId = await t.call("GET", "/v1/apps/shop/components/createUser");
    assert.equal(byId.json.definition.routeMatcher.pathPattern, "/api/users");
    assert.equal((await t.call("GET", "/v1/apps/shop/components/nope")).status, 404);
  } finally {
    await t.close();
  }
});

Deno.test("configuration lookup prefers component over app over global", async () => {
  const t = await startKiln({ configuration: { greeting: "global", region: "eu" } });
  try {
    await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    const comp = await t.call("GET", "/v1/apps/shop/config/greeting?componentId=getUser");
    assert.deepEqual(comp.json, { found: true, value: "hi", source: "component" });
    const app = await t.call("GET", "/v1/apps/shop/config/greeting?componentId=createUser");
    assert.deepEqual(app.json, { found: true, value: "hello", source: "app" });
    const global = await t.call("GET", "/v1/apps/shop/config/region");
    assert.deepEqual(global.json, { found: true, value: "eu", source: "global" });
    const dotted = await t.call("GET", "/v1/apps/shop/config/llm.model");
    assert.deepEqual(dotted.json, { found: true, value: "small", source: "app" });
    assert.deepEqual((await t.call("GET", "/v1/apps/shop/config/missing")).json, { found: false });
  } finally {
    await t.close();
  }
});

Deno.test("deactivate, activate and deregister with deleteState", async () => {
  const t = await startKiln();
  try {
    await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    await t.call("PUT", "/v1/apps/shop/runtime/visits", { value: 3 });
    assert.equal((await t.call("POST", "/v1/apps/shop/deactivate")).json.status, "INACTIVE");
    assert.deepEqual((await t.call("GET", "/v1/apps?status=active")).json.apps, []);
    assert.equal((await t.call("GET", "/v1/apps/shop")).json.reason, "deactivated");
    const activated = await t.call("POST", "/v1/apps/shop/activate");
    assert.equal(activated.json.status, "ACTIVE");
    assert.equal(activated.json.reason, undefined, 'activating clears "deactivated"');
    assert.equal((await t.call("GET", "/v1/apps/shop")).json.reason, undefined);
    const del = await t.call("DELETE", "/v1/apps/shop?deleteState=true");
    assert.equal(del.status, 200);
    assert.equal((await t.call("GET", "/v1/apps/shop")).status, 404);
    await assert.rejects(Deno.stat(`${t.dataDir}/apps/shop.git`));
    await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    assert.deepEqual((await t.call("GET", "/v1/apps/shop/runtime/visits")).json, { found: false });
  } finally {
    await t.close();
  }
});

Deno.test("apps, runtime values and keys survive a restart", async () => {
  const t = await startKiln();
  try {
    await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    await t.call("PUT", "/v1/apps/shop/runtime/cart", { value: { items: [1, 2] } });
    const key = await t.call("POST", "/v1/apps/shop/keys", { description: "ci" });
    await t.restart();
    assert.equal((await t.call("GET", "/v1/apps/shop")).json.status, "ACTIVE");
    assert.deepEqual((await t.call("GET", "/v1/apps/shop/runtime/cart")).json, {
      found: true,
      value: { items: [1, 2] },
    });
    assert.equal((await t.call("GET", "/v1/apps/shop", undefined, key.json.apiKey)).status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("unknown apps, unknown routes and wrong methods are 404 envelopes", async () => {
  const t = await startKiln();
  try {
    for (const path of ["/v1/apps/ghost", "/v1/apps/ghost/status", "/v1/apps/ghost/runtime/x"]) {
      const res = await t.call("GET", path);
      assert.equal(res.status, 404, path);
      assert.equal(res.json.error.code, "APP_NOT_FOUND");
    }
    const nowhere = await t.call("GET", "/v1/nowhere");
    assert.equal(nowhere.status, 404);
    assert.equal(nowhere.json.error.code, "NOT_FOUND");
  } finally {
    await t.close();
  }
});

Deno.test("PUT /v1/apps/{id} replaces the definitions in one commit; a foreign appId is refused", async () => {
  const t = await startKiln();
  try {
    const reg = await t.call("POST", "/v1/apps", {
      files: minimalApp("shop", { "notes.yaml": "a: 1\n" }),
    });
    const files = minimalApp("shop");
    files["app_definition.yaml"] = files["app_definition.yaml"].replace("1.0.0", "2.0.0");
    const upd = await t.call("PUT", "/v1/apps/shop", { files });
    assert.equal(upd.status, 200, JSON.stringify(upd.json));
    assert.equal(upd.json.version, "2.0.0");
    assert.notEqual(upd.json.revision, reg.json.revision);
    const gone = await t.call("GET", "/v1/apps/shop/definitions/file?path=notes.yaml");
    assert.equal(gone.status, 404);

    const foreign = await t.call("PUT", "/v1/apps/shop", { files: minimalApp("other") });
    assert.equal(foreign.status, 400);
    assert.equal((await t.call("GET", "/v1/apps/shop")).json.revision, upd.json.revision);
  } finally {
    await t.close();
  }
});

Deno.test("re-registering after a deregister that kept state continues the repo's history", async () => {
  const t = await startKiln();
  try {
    await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    assert.equal((await t.call("DELETE", "/v1/apps/shop")).status, 200);
    const files = minimalApp("shop");
    files["app_definition.yaml"] = files["app_definition.yaml"].replace("1.0.0", "1.5.0");
    const again = await t.call("POST", "/v1/apps", { files });
    assert.equal(again.status, 201, JSON.stringify(again.json));
    const log = await t.call("GET", "/v1/apps/shop/definitions/history");
    assert.equal(log.json.commits.length, 2);
  } finally {
    await t.close();
  }
});
