import assert from "node:assert/strict";
import { join } from "node:path";
import { KilnError } from "../core/mod.ts";
import { AppVolumes, MAX_VOLUME_FILE_BYTES } from "./app_volumes.ts";

async function withVolumes(fn: (v: AppVolumes, root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "kiln-volumes-" });
  try {
    await fn(new AppVolumes(join(root, "volumes")), root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function code(expected: string) {
  return (err: unknown) => err instanceof KilnError && err.code === expected;
}

const text = (s: string) => new TextEncoder().encode(s);

Deno.test("AppVolumes writes and reads files under the app's own folder, making parents", async () => {
  await withVolumes(async (v, root) => {
    await v.writeFile("shop", "reports/2026/nov.txt", text("hello"));
    assert.equal(
      await Deno.readTextFile(join(root, "volumes/shop/reports/2026/nov.txt")),
      "hello",
    );
    assert.equal(
      new TextDecoder().decode(await v.readFile("shop", "reports/2026/nov.txt")),
      "hello",
    );
    await v.writeFile("shop", "reports/2026/nov.txt", text("again"));
    assert.equal(
      new TextDecoder().decode(await v.readFile("shop", "reports//2026/nov.txt")),
      "again",
    );
    await assert.rejects(v.readFile("bank", "reports/2026/nov.txt"), code("FILE_NOT_FOUND"));
    assert.deepEqual([...Deno.readDirSync(join(root, "volumes/shop/reports/2026"))].length, 1);
  });
});

Deno.test("AppVolumes refuses paths that leave the volume", async () => {
  await withVolumes(async (v) => {
    for (const path of ["../bank/x", "/etc/passwd", "a/../../x", "./a", "a\\b", "a\0b", "", "/"]) {
      await assert.rejects(v.writeFile("shop", path, text("x")), code("PATH_NOT_ALLOWED"), path);
      await assert.rejects(v.readFile("shop", path), code("PATH_NOT_ALLOWED"), path);
    }
    await assert.rejects(v.readFile("../etc", "passwd"), code("BAD_REQUEST"));
  });
});

Deno.test("AppVolumes never follows a symlink planted in the volume", async () => {
  await withVolumes(async (v, root) => {
    const outside = join(root, "outside");
    await Deno.mkdir(outside);
    await Deno.writeTextFile(join(outside, "secret.txt"), "host secret");
    await v.writeFile("shop", "keep.txt", text("mine"));
    const dir = v.dirOf("shop");
    await Deno.symlink(join(outside, "secret.txt"), join(dir, "link.txt"));
    await Deno.symlink(outside, join(dir, "linkdir"));

    await assert.rejects(v.readFile("shop", "link.txt"), code("PATH_NOT_ALLOWED"));
    await assert.rejects(v.readFile("shop", "linkdir/secret.txt"), code("PATH_NOT_ALLOWED"));
    await assert.rejects(v.writeFile("shop", "link.txt", text("x")), code("PATH_NOT_ALLOWED"));
    await assert.rejects(
      v.writeFile("shop", "linkdir/new.txt", text("x")),
      code("PATH_NOT_ALLOWED"),
    );
    assert.equal(await Deno.readTextFile(join(outside, "secret.txt")), "host secret");
    assert.deepEqual([...Deno.readDirSync(outside)].map((e) => e.name), ["secret.txt"]);
  });
});

Deno.test("AppVolumes caps file size and refuses folders as files", async () => {
  await withVolumes(async (v) => {
    const big = new Uint8Array(MAX_VOLUME_FILE_BYTES + 1);
    await assert.rejects(v.writeFile("shop", "big.bin", big), code("PAYLOAD_TOO_LARGE"));
    await v.writeFile("shop", "d/f.txt", text("x"));
    await Deno.writeFile(join(v.dirOf("shop"), "grown.bin"), big);
    await assert.rejects(v.readFile("shop", "grown.bin"), code("PAYLOAD_TOO_LARGE"));
    await assert.rejects(v.readFile("shop", "d"), code("PATH_NOT_ALLOWED"));
    await assert.rejects(v.writeFile("shop", "d", text("x")), code("PATH_NOT_ALLOWED"));
    await assert.rejects(v.writeFile("shop", "d/f.txt/g", text("x")), code("PATH_NOT_ALLOWED"));
  });
});

Deno.test("AppVolumes.remove() deletes the app's volume and tolerates a missing one", async () => {
  await withVolumes(async (v) => {
    await v.writeFile("shop", "a.txt", text("x"));
    await v.remove("shop");
    await assert.rejects(Deno.lstat(v.dirOf("shop")), Deno.errors.NotFound);
    await v.remove("shop");
  });
});
