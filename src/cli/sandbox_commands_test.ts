import assert from "node:assert/strict";
import { runCli } from "./cli.ts";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

Deno.test("kiln sandbox shows its help and refuses unknown commands and images", async () => {
  const help = capture();
  assert.equal(await runCli(["sandbox", "--help"], help.io), 0);
  assert.match(help.out.join("\n"), /build-images/);
  const unknown = capture();
  assert.equal(await runCli(["sandbox", "nope"], unknown.io), 2);
  assert.match(unknown.err.join("\n"), /unknown sandbox command "nope"/);
  const image = capture();
  assert.equal(await runCli(["sandbox", "build-images", "ruby"], image.io), 2);
  assert.match(image.err.join("\n"), /unknown image "ruby"/);
});
