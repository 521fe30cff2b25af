import assert from "node:assert/strict";
import { KilnError } from "../../core/mod.ts";
import { readCapped } from "./_read_capped.ts";

Deno.test("readCapped() reads a runner answer up to its cap and refuses a flood", async () => {
  assert.equal(await readCapped(new Response("small"), 10), "small");
  let pulled = 0;
  const flood = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new Uint8Array(1 << 16));
    },
  });
  await assert.rejects(readCapped(new Response(flood), 1 << 20), (err) => {
    assert.ok(err instanceof KilnError);
    assert.equal(err.code, "SANDBOX_KILLED");
    assert.equal((err.details as { reason: string }).reason, "output");
    return true;
  });
  assert.ok(pulled <= 20, `read ${pulled} chunks past the cap`);
});
