import assert from "node:assert/strict";
import { SharedRing } from "./_shared_ring.ts";
import { readDone, readHostRecord, writeDone, writePosted, writeRun } from "./_ring_codec.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function writeText(ring: SharedRing, text: string): boolean {
  const bytes = encoder.encode(text);
  return ring.write((into) => bytes.length > into.length ? null : (into.set(bytes), bytes.length));
}

function readText(ring: SharedRing): string | null {
  const record = ring.read();
  return record === null ? null : decoder.decode(record);
}

Deno.test("SharedRing keeps records whole and in order as they wrap past the end", () => {
  const ring = SharedRing.create(64);
  // Records of 4-13 bytes against 64 bytes of ring: head and tail cross the end many times, at
  // every alignment, with a record left behind at each wrap.
  for (let i = 0; i < 500; i++) {
    const a = `r${i}-${"x".repeat(i % 10)}`;
    const b = `s${i}`;
    assert.ok(writeText(ring, a), `write ${a}`);
    assert.ok(writeText(ring, b), `write ${b}`);
    assert.equal(readText(ring), a);
    assert.equal(readText(ring), b);
    assert.equal(ring.read(), null);
  }
});

Deno.test("SharedRing refuses a record that does not fit and stays usable", () => {
  const ring = SharedRing.create(64);
  assert.equal(writeText(ring, "y".repeat(61)), false, "larger than the ring");
  assert.ok(writeText(ring, "a".repeat(20)));
  assert.ok(writeText(ring, "b".repeat(20)));
  // 48 of 64 bytes are taken; one slot always stays empty.
  assert.equal(writeText(ring, "c".repeat(12)), false, "full");
  assert.equal(readText(ring), "a".repeat(20));
  // The free bytes are split around the end: a record that fits neither part is refused.
  assert.equal(writeText(ring, "d".repeat(30)), false);
  assert.ok(writeText(ring, "e".repeat(12)));
  assert.equal(readText(ring), "b".repeat(20));
  assert.equal(readText(ring), "e".repeat(12));
  assert.equal(ring.read(), null);
});

Deno.test("SharedRing wakes a waiter on write and on close, and refuses writes once closed", async () => {
  // A waitAsync wake is a V8 task Deno's event loop does not count as pending work: something
  // else must keep the loop alive (in Kiln, a run's watchdog timer and the HTTP listener).
  const alive = setInterval(() => {}, 1_000);
  try {
    await wakes();
  } finally {
    clearInterval(alive);
  }
});

async function wakes(): Promise<void> {
  const ring = SharedRing.create(64);
  const seen = ring.signal();
  const woken = ring.waitAsync(seen);
  assert.ok(woken, "an empty ring makes the reader wait");
  assert.ok(writeText(ring, "hi"));
  assert.equal(await woken, "ok");
  assert.equal(ring.waitAsync(seen), null, "the signal moved: no wait");
  const again = ring.waitAsync(ring.signal());
  ring.close();
  assert.equal(await again, "ok");
  assert.ok(ring.closed);
  assert.equal(writeText(ring, "late"), false);
  assert.equal(readText(ring), "hi", "what was written before the close is still read");
}

Deno.test("ring codec round-trips a run and an ok result, and leaves others to messages", () => {
  const ring = SharedRing.create(4096);
  const spec = {
    key: "k1",
    entry: "default",
    input: JSON.stringify([{ text: "héllo wörld ✓" }, {}]),
    timeoutMs: 1500,
    memoryMb: 64,
    maxOutputBytes: 1_048_576,
  };
  assert.ok(writeRun(ring, 7, spec));
  assert.deepEqual(readHostRecord(ring.read()!), { id: 7, spec });
  const { key: _, ...unkeyed } = spec;
  assert.ok(writeRun(ring, 8, unkeyed));
  assert.deepEqual(readHostRecord(ring.read()!), { id: 8, spec: unkeyed });
  assert.ok(writePosted(ring));
  assert.deepEqual(readHostRecord(ring.read()!), { posted: true });

  const logs = [{ level: "info" as const, message: "ß", source: "console" as const }];
  const ok = { id: 9, outcome: { kind: "ok" as const, json: '{"n":"✓"}', recycle: true }, logs };
  assert.ok(writeDone(ring, ok));
  assert.deepEqual(readDone(ring.read()!), ok);
  const quiet = { id: 10, outcome: { kind: "ok" as const, json: "1" }, logs: [] };
  assert.ok(writeDone(ring, quiet));
  assert.deepEqual(readDone(ring.read()!), quiet);
  const failed = { kind: "error" as const, code: "X", message: "no" };
  assert.equal(writeDone(ring, { id: 11, outcome: failed, logs: [] }), false);
  const big = { kind: "ok" as const, json: JSON.stringify("z".repeat(5000)) };
  assert.equal(writeDone(ring, { id: 12, outcome: big, logs: [] }), false, "overflow");
  assert.equal(writeRun(ring, 13, { ...spec, input: "€".repeat(2000) }), false, "overflow");
  assert.equal(ring.read(), null, "a refused record leaves nothing behind");
});

Deno.test("SharedRing refuses positions and lengths another thread corrupted", () => {
  const ring = SharedRing.create(64);
  const cells = new Int32Array(ring.buffer, 0, 4);
  assert.ok(writeText(ring, "ok"));
  new DataView(ring.buffer, 16).setInt32(0, 1_000, true); // the record's length
  assert.throws(() => ring.read(), /impossible length/);
  Atomics.store(cells, 0, 1_000_000); // the write position
  assert.throws(() => ring.read(), /out of range/);
  const other = SharedRing.create(64);
  Atomics.store(new Int32Array(other.buffer, 0, 4), 1, 7); // the read position, unaligned
  assert.equal(writeText(other, "x"), false);
});
