import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { KilnError } from "../core/mod.ts";
import { leavesTurns } from "../../tests/_support/event_loop.ts";
import { readTarball, type TarEntry } from "./_tarball.ts";

/** A tarball made by the stock `tar` from `files`, gzipped when asked. */
async function tarball(files: Record<string, string>, gzip: boolean): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "kiln-tar-" });
  try {
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(`${dir}/${path}`.replace(/\/[^/]+$/, ""), { recursive: true });
      await Deno.writeTextFile(`${dir}/${path}`, text);
    }
    const out = await new Deno.Command("tar", {
      args: [gzip ? "-czf" : "-cf", "-", "-C", dir, ...Object.keys(files)],
      stdout: "piped",
    }).output();
    assert.ok(out.success);
    return out.stdout;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const LIMITS = { maxBytes: 1 << 20, maxFileBytes: 1 << 20 };

const FILES = {
  "app_definition.yaml": "appId: tar-app\n",
  "state/components/hello.yaml": "componentId: hello\n",
};

Deno.test("readTarball() reads plain and gzipped tarballs made by tar", async () => {
  for (const gzip of [false, true]) {
    const entries = await readTarball(await tarball(FILES, gzip), LIMITS);
    const files = Object.fromEntries(
      entries.filter((e) => e.type === "file").map((e) => [
        e.path,
        new TextDecoder().decode(e.content),
      ]),
    );
    assert.deepEqual(files, FILES, gzip ? "gzipped" : "plain");
  }
});

Deno.test("readTarball() refuses a gzip bomb past the budget and a broken gzip stream", async () => {
  // 200 MiB of zeros gzip to ~200 KiB; the budget is 1 MiB.
  const bomb = gzipSync(new Uint8Array(200 << 20));
  const err = await readTarball(bomb, LIMITS).catch((e) => e);
  assert.ok(err instanceof KilnError);
  assert.equal(err.code, "PAYLOAD_TOO_LARGE");
  assert.match(err.message, /more than 1048576 bytes/);

  const good = await tarball(FILES, true);
  const broken = good.slice(0, good.length - 20);
  broken[40] ^= 0xff;
  const bad = await readTarball(broken, LIMITS).catch((e) => e);
  assert.ok(bad instanceof KilnError);
  assert.equal(bad.code, "VALIDATION_ERROR");
  assert.match(bad.message, /not a readable gzip stream/);
});

Deno.test("readTarball() refuses an entry over the file limit, naming it", async () => {
  const upload = await tarball({ ...FILES, "state/big.txt": "x".repeat(4096) }, true);
  const err = await readTarball(upload, { maxBytes: 1 << 20, maxFileBytes: 1024 }).catch((e) => e);
  assert.ok(err instanceof KilnError);
  assert.equal(err.code, "PAYLOAD_TOO_LARGE");
  assert.match(err.message, /"state\/big.txt" is more than 1024 bytes/);
});

Deno.test("a large upload leaves the event loop turns while it is unpacked", async () => {
  // 40 files of ~1 MiB of varied text (the largest an app may bring), gzipped: ~40 MiB to inflate
  // and split into entries, which in one go holds the thread for hundreds of milliseconds.
  const line = (i: number) => `${i}: ${(i * 2654435761 % 1e9).toString(36)} ✓\n`;
  const files: Record<string, string> = {};
  for (let f = 0; f < 40; f++) {
    let text = "";
    for (let i = f * 50_000; text.length < 900_000; i++) text += line(i);
    files[`state/data/${f}.txt`] = text;
  }
  const upload = await tarball(files, true);
  let entries: TarEntry[] = [];
  const starved = await leavesTurns(async () => {
    entries = await readTarball(upload, { maxBytes: 64 << 20, maxFileBytes: 1 << 20 });
  });
  assert.equal(entries.filter((e) => e.type === "file").length, 40);
  assert.equal(
    new TextDecoder().decode(entries.find((e) => e.path === "state/data/7.txt")?.content),
    files["state/data/7.txt"],
  );
  assert.equal(starved, null);
});
