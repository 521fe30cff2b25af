import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { GitCorrupt } from "./_git_errors.ts";
import { applyDelta, ObjectReader } from "./_object_reader.ts";

const ENV = {
  GIT_AUTHOR_NAME: "T",
  GIT_AUTHOR_EMAIL: "t@example.com",
  GIT_COMMITTER_NAME: "T",
  GIT_COMMITTER_EMAIL: "t@example.com",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
};

async function git(gitdir: string, args: string[], stdin?: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command("git", {
    args: ["--git-dir", gitdir, ...args],
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: ENV,
  }).spawn();
  if (stdin) {
    const w = child.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const out = await child.output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return out.stdout;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();

/** Packs `oids` (deltas allowed, chains up to 50) and drops their loose copies. */
async function pack(gitdir: string, oids: string[], offsets = false): Promise<string> {
  const stdin = new TextEncoder().encode(oids.join("\n") + "\n");
  const args = ["pack-objects", "-q", "--window=50", "--depth=50", `${gitdir}/objects/pack/pack`];
  if (offsets) args.splice(1, 0, "--delta-base-offset");
  const name = text(await git(gitdir, args, stdin));
  await git(gitdir, ["prune-packed"]);
  return `${gitdir}/objects/pack/pack-${name}.idx`;
}

async function withRepo(
  fn: (gitdir: string, put: (b: Uint8Array) => Promise<string>) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "kiln-objects-" });
  try {
    await git(`${dir}/r.git`, ["init", "-q", "--bare"]);
    await fn(
      `${dir}/r.git`,
      async (b) => text(await git(`${dir}/r.git`, ["hash-object", "-w", "--stdin"], b)),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const tooLarge = () => new Error("too large");

for (const offsets of [false, true]) {
  Deno.test(`ObjectReader reads loose, packed and ${offsets ? "offset" : "reference"}-deltified objects as git does`, async () => {
    await withRepo(async (gitdir, put) => {
      const lines = Array.from({ length: 2_000 }, (_, i) => `line ${i} of a definition\n`);
      const base = new TextEncoder().encode(lines.join(""));
      const versions = [base];
      for (let v = 1; v < 12; v++) {
        versions.push(
          new TextEncoder().encode(lines.map((l, i) => i % 97 === v ? `v${v} ${l}` : l).join("")),
        );
      }
      const oids = [];
      for (const v of versions) oids.push(await put(v));
      const loose = new ObjectReader(gitdir);
      assert.deepEqual(await loose.header(oids[3]), { type: "blob", size: versions[3].length });
      assert.deepEqual((await loose.read(oids[3], 1 << 20, tooLarge)).data, versions[3]);
      // Packed, with deltas chained as deep as Git makes them.
      const idx = await pack(gitdir, oids, offsets);
      const listed = text(await git(gitdir, ["verify-pack", "-v", idx]));
      assert.match(listed, /chain length = \d+/, "the pack holds deltas");
      for (const oid of oids) {
        await assert.rejects(Deno.stat(`${gitdir}/objects/${oid.slice(0, 2)}/${oid.slice(2)}`));
      }
      const packed = new ObjectReader(gitdir);
      for (const [i, oid] of oids.entries()) {
        assert.deepEqual(await packed.header(oid), { type: "blob", size: versions[i].length });
        assert.deepEqual((await packed.read(oid, 1 << 20, tooLarge)).data, versions[i]);
      }
      assert.deepEqual(await packed.startingWith(oids[5].slice(0, 10)), [oids[5]]);
      await assert.rejects(
        packed.header("0".repeat(40)),
        (e) => (e as { code?: string }).code === "NotFoundError",
      );
    });
  });
}

Deno.test("ObjectReader sizes a 64 MiB zero blob from its header and refuses it unread", async () => {
  await withRepo(async (gitdir, put) => {
    const oid = await put(new Uint8Array(64 << 20));
    for (const packed of [false, true]) {
      if (packed) await pack(gitdir, [oid]);
      const reader = new ObjectReader(gitdir);
      const started = performance.now();
      assert.deepEqual(await reader.header(oid), { type: "blob", size: 64 << 20 });
      await assert.rejects(
        reader.read(oid, 1 << 20, (h) => new KilnError("LIMIT_EXCEEDED", `size ${h.size}`)),
        /size 67108864/,
      );
      const prefix = await reader.readPrefix(oid, 100, tooLarge);
      assert.equal(prefix.data.length, 100);
      assert.ok(performance.now() - started < 500, "no 64 MiB inflate happened");
    }
  });
});

Deno.test("applyDelta() refuses deltas that run past their buffers or lie about sizes", () => {
  const base = new TextEncoder().encode("hello world");
  // base size 11, result 5: copy offset 0 length 5.
  const ok = Uint8Array.from([11, 5, 0x80 | 0x01 | 0x10, 0, 5]);
  assert.equal(new TextDecoder().decode(applyDelta(ok, base, 100)), "hello");
  const bad = [
    Uint8Array.from([12, 5, 0x91, 0, 5]), // wrong base size
    Uint8Array.from([11, 5, 0x91, 8, 5]), // copy past the base
    Uint8Array.from([11, 2, 0x91, 0, 5]), // copy past the result
    Uint8Array.from([11, 5, 3, 97]), // insert past the delta
    Uint8Array.from([11, 5, 0]), // reserved instruction
    Uint8Array.from([11, 6, 0x91, 0, 5]), // result shorter than announced
  ];
  for (const d of bad) assert.throws(() => applyDelta(d, base, 100), GitCorrupt);
  assert.throws(
    () => applyDelta(Uint8Array.from([11, 0xff, 0xff, 0x7f]), base, 1000),
    (e) => e instanceof KilnError && e.code === "LIMIT_EXCEEDED",
  );
});
