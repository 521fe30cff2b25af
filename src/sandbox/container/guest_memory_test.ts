import assert from "node:assert/strict";
import { guestMemory, memoryKillText, MIN_GUEST_MB, RUNNER_RESERVE_MB } from "./guest_memory.ts";

const MB = 1 << 20;

Deno.test("guestMemory() honours a component's limit that fits in the container", () => {
  const m = guestMemory(128, 256 * MB, "javascript");
  assert.deepEqual(m, {
    memoryMb: 128,
    requestedMb: 128,
    containerMb: 256,
    governedBy: "component",
  });
  assert.equal(memoryKillText(m, '"a/p"', "component"), "exceeded its 128 MB memory limit");
});

Deno.test("guestMemory() lets the pool's container limit govern a component asking for more", () => {
  const m = guestMemory(2048, 256 * MB, "javascript");
  assert.equal(m.memoryMb, 256 - RUNNER_RESERVE_MB.javascript);
  assert.equal(m.governedBy, "pool");
  assert.equal(guestMemory(2048, 256 * MB, "python").memoryMb, 256 - RUNNER_RESERVE_MB.python);
  assert.match(
    memoryKillText(m, '"a/p"', "pool"),
    /^exceeded the 160 MB a guest can use in the 256 MB containers of pool "a\/p" \(the component asks for 2048 MB; the pool's resourceLimits\.memoryLimit governs\)$/,
  );
  assert.equal(guestMemory(512, 64 * MB, "javascript").memoryMb, MIN_GUEST_MB);
});
