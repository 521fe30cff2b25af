import assert from "node:assert/strict";
import { removeTree } from "./remove_tree.ts";

Deno.test("removeTree removes a tree while a writer keeps creating files in it", async () => {
  const parent = await Deno.makeTempDir();
  const tree = `${parent}/app.git`;
  await Deno.mkdir(`${tree}/hooks`, { recursive: true });
  for (let i = 0; i < 200; i++) await Deno.writeTextFile(`${tree}/hooks/f${i}`, "x");
  let writing = true;
  const writer = (async () => {
    for (let i = 0; writing; i++) {
      await Deno.writeTextFile(`${tree}/hooks/w${i}`, "x").catch(() => {});
    }
  })();
  await removeTree(tree);
  writing = false;
  await writer;
  // The writer may have recreated nothing but what it wrote after the rename failed: no leftovers.
  const left = [...Deno.readDirSync(parent)].map((e) => e.name);
  assert.deepEqual(left.filter((n) => n.includes("removing")), []);
  await Deno.remove(parent, { recursive: true });
});

Deno.test("removeTree of a missing tree does nothing", async () => {
  const parent = await Deno.makeTempDir();
  await removeTree(`${parent}/nothing`);
  assert.deepEqual([...Deno.readDirSync(parent)], []);
  await Deno.remove(parent);
});
