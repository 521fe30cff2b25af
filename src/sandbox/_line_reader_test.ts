import assert from "node:assert/strict";
import { lineReader } from "./_line_reader.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function collect(prefix: string, maxFrameBytes = 1 << 20) {
  const got = { frames: [] as string[], stray: "", strayPieces: 0, oversize: 0 };
  const push = lineReader({
    prefix: enc.encode(prefix),
    maxFrameBytes: () => maxFrameBytes,
    frame: (bytes) => got.frames.push(dec.decode(bytes)),
    stray: (bytes) => (got.stray += dec.decode(bytes), got.strayPieces++),
    oversize: () => got.oversize++,
  });
  return { got, push: (text: string) => push(enc.encode(text)) };
}

Deno.test("lineReader() joins frames split across chunks and strips the prefix", () => {
  const { got, push } = collect("NONCE");
  push("\nNON");
  push('CE{"a":');
  push('1}\nNONCE{"b":2}\n\nNONCE');
  push("{}\n");
  assert.deepEqual(got.frames, ['{"a":1}', '{"b":2}', "{}"]);
  assert.equal(got.stray, "");
});

Deno.test("lineReader() passes lines without the prefix on as stray output, unbuffered", () => {
  const { got, push } = collect("NONCE");
  push("NON");
  push("SENSE\nNONCx\nhello ");
  push("world\nNONCE{}\nNO\n");
  assert.deepEqual(got.frames, ["{}"]);
  assert.equal(got.stray, "NONSENSENONCxhello worldNO");
});

Deno.test("lineReader() drops a frame past the limit once and resumes at the next line", () => {
  const { got, push } = collect("N", 8);
  push("N12345");
  push("6789");
  push("0123\nN{}\n");
  assert.equal(got.oversize, 1);
  assert.deepEqual(got.frames, ["{}"]);
});

Deno.test("lineReader() with an empty prefix makes every non-empty line a frame", () => {
  const { got, push } = collect("");
  push("a\n\nb");
  push("c\n");
  assert.deepEqual(got.frames, ["a", "bc"]);
});

Deno.test("lineReader() handles 64 MiB without a newline in constant work per byte", () => {
  let pieces = 0, bytes = 0;
  const push = lineReader({
    prefix: enc.encode("NONCE"),
    maxFrameBytes: () => 1 << 20,
    frame: () => assert.fail("no frame was sent"),
    stray: (piece) => (pieces++, bytes += piece.length),
    oversize: () => assert.fail("stray output is not a frame"),
  });
  const chunk = enc.encode("x".repeat(64 << 10));
  const started = performance.now();
  for (let i = 0; i < 1024; i++) push(chunk);
  const ms = performance.now() - started;
  assert.equal(pieces, 1024, "each chunk is handed on once, never buffered");
  assert.equal(bytes, 64 << 20);
  assert.ok(ms < 2_000, `64 MiB of stray output took ${ms.toFixed(0)} ms`);
});
