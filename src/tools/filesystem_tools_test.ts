import assert from "node:assert/strict";
import { join } from "node:path";
import { failed, ok, withTools } from "../../tests/_support/tools.ts";

Deno.test("filesystem tools read and write the caller's own app volume only", async () => {
  await withTools(async ({ t, tools, admin, key, exec }) => {
    assert.deepEqual(
      ok(
        await tools.call(
          "core.filesystem.writeFile",
          { path: "out/a.txt", content: "héllo" },
          admin,
        ),
      ),
      { written: true, bytes: 6 },
    );
    assert.equal(await Deno.readTextFile(join(t.dataDir, "volumes/shop/out/a.txt")), "héllo");
    assert.deepEqual(
      ok(
        await tools.call(
          "core.filesystem.readFile",
          { path: "out/a.txt" },
          key(["filesystem:read"]),
        ),
      ),
      { content: "héllo", encoding: "utf8", bytes: 6 },
    );
    failed(
      await tools.call("core.filesystem.readFile", { path: "out/a.txt" }, key(["*"], "bank")),
      "FILE_NOT_FOUND",
    );
    failed(
      await tools.call("core.filesystem.readFile", { path: "../bank/x" }, admin),
      "PATH_NOT_ALLOWED",
    );
    failed(
      await tools.call(
        "core.filesystem.writeFile",
        { path: "x", content: "y" },
        key(["filesystem:read"]),
      ),
      "FORBIDDEN",
    );
    const runner = exec(["core.filesystem.readFile"]);
    assert.equal(
      ok(await tools.call("core.filesystem.readFile", { path: "out/a.txt" }, runner)).content,
      "héllo",
    );
    failed(
      await tools.call("core.filesystem.writeFile", { path: "x", content: "y" }, runner),
      "FORBIDDEN",
    );
  });
});

Deno.test("filesystem tools carry bytes as base64 and refuse to decode binary as text", async () => {
  await withTools(async ({ tools, admin }) => {
    const bytes = btoa(String.fromCharCode(0, 255, 254, 10));
    ok(
      await tools.call("core.filesystem.writeFile", {
        path: "b.bin",
        content: bytes,
        encoding: "base64",
      }, admin),
    );
    assert.deepEqual(
      ok(
        await tools.call("core.filesystem.readFile", { path: "b.bin", encoding: "base64" }, admin),
      ),
      { content: bytes, encoding: "base64", bytes: 4 },
    );
    assert.match(
      failed(
        await tools.call("core.filesystem.readFile", { path: "b.bin" }, admin),
        "VALIDATION_ERROR",
      )
        .message,
      /base64/,
    );
  });
});

Deno.test("deregistering an app with deleteState removes its volume, and only then", async () => {
  await withTools(async ({ t, tools, admin, key }) => {
    const bank = key(["*"], "bank");
    ok(await tools.call("core.filesystem.writeFile", { path: "ledger.txt", content: "1" }, bank));
    ok(await tools.call("core.filesystem.writeFile", { path: "kept.txt", content: "1" }, admin));
    await t.kiln.registry.deregisterApplication("shop");
    assert.ok((await Deno.lstat(join(t.dataDir, "volumes/shop/kept.txt"))).isFile);
    await t.kiln.registry.deregisterApplication("bank", true);
    await assert.rejects(Deno.lstat(join(t.dataDir, "volumes/bank")), Deno.errors.NotFound);
  });
});
