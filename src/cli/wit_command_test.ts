import assert from "node:assert/strict";
import { KILN_WORLDS } from "../sandbox/mod.ts";
import { runCli } from "./cli.ts";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

Deno.test("kiln wit prints the handler world that the example component is built against", async () => {
  const plain = capture();
  assert.equal(await runCli(["wit"], plain.io), 0);
  const text = plain.out.join("\n");
  assert.match(text, /^package kiln:handler@0\.1\.0;/);
  assert.match(text, /export handle: func\(request-json: string, context-json: string\)/);
  // The example's checked-in WIT is what `kiln wit` prints; a change to the world shows here.
  const example = await Deno.readTextFile(
    new URL("../../examples/wasi-js/wit/handler.wit", import.meta.url),
  );
  assert.equal(example.trimEnd(), text);
  const named = capture();
  assert.equal(await runCli(["wit", "--world", "handler"], named.io), 0);
  assert.deepEqual(named.out, plain.out);
});

Deno.test("kiln wit --json gives the package, world, imports and exports", async () => {
  const json = capture();
  assert.equal(await runCli(["wit", "--json"], json.io), 0);
  const world = JSON.parse(json.out.join("\n"));
  assert.equal(world.package, "kiln:handler@0.1.0");
  assert.equal(world.world, "handler");
  assert.deepEqual(world.imports, ["kiln:host/mcp@0.1.0", "kiln:host/log@0.1.0"]);
  assert.deepEqual(world.exports.map((e: { name: string }) => e.name), ["handle"]);
  assert.equal(world.exports[0].signature, "func(string, string) -> result<string, string>");
  assert.equal(world.wit, KILN_WORLDS.handler.wit);
});

Deno.test("kiln wit refuses an unknown world and stray arguments with a usage error", async () => {
  const unknown = capture();
  assert.equal(await runCli(["wit", "--world", "nope"], unknown.io), 2);
  assert.match(unknown.err.join("\n"), /unknown world "nope" \(known: handler\)/);
  const stray = capture();
  assert.equal(await runCli(["wit", "extra"], stray.io), 2);
  assert.match(stray.err.join("\n"), /unexpected argument "extra"/);
});
