import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { deflateSync, inflateSync } from "node:zlib";
import { decodeSliced, deflateSliced, inflateSliced, sha1Sliced } from "./_sliced.ts";
import { writeLooseObject } from "./_object_codec.ts";
import { leavesTurns } from "../../tests/_support/event_loop.ts";

/** Two megabytes of varied text, non-ASCII included. */
function bigText(): string {
  const lines = [];
  for (let i = 0, size = 0; size < 2_000_000; i++) {
    const line = `line ${i}: ${(i * 2654435761 % 1e9).toString(36)} é ✓ 😀\n`;
    size += line.length;
    lines.push(line);
  }
  return lines.join("");
}

const TEXT = bigText();
const BYTES = new TextEncoder().encode(TEXT);

Deno.test("sha1Sliced() and deflateSliced() make what zlib and SHA-1 make in one go", async () => {
  assert.equal(await sha1Sliced(BYTES), createHash("sha1").update(BYTES).digest("hex"));
  assert.equal(await sha1Sliced(new Uint8Array()), createHash("sha1").digest("hex"));
  const deflated = await deflateSliced(BYTES);
  assert.ok(deflated.length < BYTES.length / 2, `${deflated.length} bytes`);
  assert.deepEqual(new Uint8Array(inflateSync(deflated)), BYTES);
});

Deno.test("inflateSliced() answers exactly the announced size, null for anything else", async () => {
  const deflated = deflateSync(BYTES);
  assert.deepEqual(await inflateSliced(deflated, BYTES.length), BYTES);
  // A header that lies either way, a truncated stream, garbage: null, and no more is inflated.
  assert.equal(await inflateSliced(deflated, BYTES.length - 1), null);
  assert.equal(await inflateSliced(deflated, BYTES.length + 1), null);
  assert.equal(await inflateSliced(deflated.subarray(0, deflated.length >> 1), BYTES.length), null);
  assert.equal(await inflateSliced(new Uint8Array([1, 2, 3, 4]), 10), null);
});

Deno.test("inflateSliced() stops a bomb at the announced size", async () => {
  // 16 MB of zeros deflate to ~16 KB; announced as 100 KB, inflating stops right past it.
  const bomb = deflateSync(new Uint8Array(16 << 20));
  const before = performance.now();
  assert.equal(await inflateSliced(bomb, 100_000), null);
  assert.ok(performance.now() - before < 2_000, "it did not inflate the whole bomb");
});

Deno.test("decodeSliced() decodes characters cut across its steps, refuses bad UTF-8", async () => {
  assert.equal(await decodeSliced(BYTES), TEXT);
  // A byte-order mark is content, kept as Git stores it, at the start or within.
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("x\ufeffy")]);
  assert.equal(await decodeSliced(bom), "\ufeffx\ufeffy");
  const bad = BYTES.slice();
  bad[bad.length - 3] = 0xff;
  assert.equal(await decodeSliced(bad), null);
  // Continuation bytes where a step would be cut, more than any character has: not UTF-8.
  const run = BYTES.slice();
  run.fill(0x80, 65530, 65542);
  assert.equal(await decodeSliced(run), null);
  // A character cut off at the very end is not UTF-8 either.
  assert.equal(await decodeSliced(BYTES.subarray(0, BYTES.indexOf(0xf0) + 2)), null);
});

Deno.test("large objects leave the event loop turns while they are worked", async () => {
  const many = new Uint8Array(BYTES.length * 4);
  for (let i = 0; i < 4; i++) many.set(BYTES, i * BYTES.length);
  const deflated = deflateSync(many);
  assert.equal(await leavesTurns(() => sha1Sliced(many)), null, "hashing");
  assert.equal(await leavesTurns(() => deflateSliced(many)), null, "deflating");
  assert.equal(await leavesTurns(() => inflateSliced(deflated, many.length)), null, "inflating");
  assert.equal(await leavesTurns(() => decodeSliced(many)), null, "decoding");
  // What the slicing prevents: the same work in one go starves the loop.
  assert.notEqual(
    await leavesTurns(() => {
      for (let i = 0; i < 4; i++) deflateSync(many);
      return Promise.resolve();
    }),
    null,
    "deflating in one go",
  );
});

Deno.test("writeLooseObject() stores objects stock Git reads, small and large", async () => {
  const gitdir = await Deno.makeTempDir({ prefix: "kiln-loose-" });
  try {
    const init = await new Deno.Command("git", { args: ["init", "-q", "--bare", gitdir] }).output();
    assert.ok(init.success);
    for (const content of [new TextEncoder().encode("small\n"), BYTES]) {
      const oid = await writeLooseObject(gitdir, "blob", content);
      const hashed = await new Deno.Command("git", {
        args: ["hash-object", "--stdin"],
        stdin: "piped",
        stdout: "piped",
      }).spawn();
      const writer = hashed.stdin.getWriter();
      await writer.write(content);
      await writer.close();
      const out = await hashed.output();
      assert.equal(oid, new TextDecoder().decode(out.stdout).trim(), "Git's id");
      const shown = await new Deno.Command("git", {
        args: ["--git-dir", gitdir, "cat-file", "blob", oid],
        stdout: "piped",
      }).output();
      assert.deepEqual(shown.stdout, content, "Git reads it back");
      // Written again (an identical blob): left alone, same id.
      assert.equal(await writeLooseObject(gitdir, "blob", content), oid);
    }
    await assert.rejects(
      writeLooseObject(gitdir, "blob", BYTES, "0".repeat(40)),
      /hashing to/,
    );
    const leftovers = [];
    for await (const dir of Deno.readDir(`${gitdir}/objects`)) {
      if (!dir.isDirectory || dir.name.length !== 2) continue;
      for await (const e of Deno.readDir(`${gitdir}/objects/${dir.name}`)) {
        if (e.name.endsWith(".tmp")) leftovers.push(e.name);
      }
    }
    assert.deepEqual(leftovers, [], "no temporary files left");
  } finally {
    await Deno.remove(gitdir, { recursive: true });
  }
});
