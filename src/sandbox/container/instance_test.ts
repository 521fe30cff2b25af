import assert from "node:assert/strict";
import { currentInstance, ownerIsGone, startTimeOf } from "./instance.ts";

Deno.test("ownerIsGone() keeps live owners and unknown hosts, and spots dead or reused pids", async () => {
  const me = currentInstance();
  assert.equal(ownerIsGone(me.owner), false);
  const [host, pid, start] = me.owner.split(":");
  assert.equal(ownerIsGone(`${host}:${pid}:${Number(start) + 1}`), true, "pid reused");
  assert.equal(ownerIsGone(`other-host:1:1`), false, "another machine's instance");
  assert.equal(ownerIsGone(undefined), false);
  assert.equal(ownerIsGone("garbage"), false);
  const child = new Deno.Command("true").spawn();
  const childPid = child.pid;
  await child.status;
  assert.equal(startTimeOf(childPid), null);
  assert.equal(ownerIsGone(`${host}:${childPid}:123`), true, "exited process");
});
