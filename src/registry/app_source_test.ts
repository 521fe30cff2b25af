import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { readAppSource } from "./app_source.ts";

const DEFINITION = "appId: a\ndisplayName: a\nversion: 1.0.0\n";

Deno.test("readAppSource() reads given text and files as a UTF-8 round trip makes them", async () => {
  const big = "export const s = 'é ✓';\n".repeat(10_000);
  const given = await readAppSource({
    files: {
      "app_definition.yaml": `\ufeff${DEFINITION}`,
      "code/lone.ts": "const x = '\ud800';\n",
      "code/big.ts": big,
    },
  });
  assert.equal(given.get("app_definition.yaml"), DEFINITION, "one leading BOM dropped");
  assert.equal(given.get("code/lone.ts"), "const x = '\ufffd';\n", "a lone surrogate replaced");
  assert.equal(given.get("code/big.ts"), big);

  const dir = await Deno.makeTempDir({ prefix: "kiln-source-" });
  try {
    await Deno.mkdir(`${dir}/state/code`, { recursive: true });
    await Deno.writeTextFile(`${dir}/state/app_definition.yaml`, `\ufeff${DEFINITION}`);
    await Deno.writeTextFile(`${dir}/state/code/big.ts`, big);
    const read = await readAppSource({ directory: dir });
    assert.equal(read.get("app_definition.yaml"), DEFINITION);
    assert.equal(read.get("code/big.ts"), big, "a large file read unchanged");
    const bytes = new TextEncoder().encode(big);
    bytes[bytes.length - 5] = 0xff;
    await Deno.writeFile(`${dir}/state/code/big.ts`, bytes);
    await assert.rejects(
      readAppSource({ directory: dir }),
      (err) =>
        err instanceof KilnError && err.code === "VALIDATION_ERROR" && /UTF-8/.test(err.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
