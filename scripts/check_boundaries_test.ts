import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { checkBoundaries } from "./check_boundaries.ts";

const LAYERS = { core: [], state: ["core"], router: ["core", "state"] };

/** A throwaway repo: `files` maps paths under it to their text. */
async function repo(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "kiln-boundaries-" });
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(dirname(join(root, path)), { recursive: true });
    await Deno.writeTextFile(join(root, path), text);
  }
  return root;
}

/** Layers that point one way, through doors, with every exported name used. */
const CLEAN = {
  "src/core/mod.ts": `export { quote } from "./quote.ts";\n`,
  "src/core/quote.ts": `export const quote = (s: string) => JSON.stringify(s);\n`,
  "src/state/mod.ts": `export { Store } from "./store.ts";\n`,
  "src/state/store.ts":
    `import { quote } from "../core/mod.ts";\nexport class Store { q = quote; }\n`,
  "src/router/mod.ts": `export { Router } from "./router.ts";\n`,
  "src/router/router.ts":
    `import { Store } from "../state/mod.ts";\nexport class Router { s = Store; }\n`,
  "src/kiln.ts": `import { Router } from "./router/mod.ts";\nexport const r = Router;\n`,
};

async function problems(files: Record<string, string>): Promise<string[]> {
  const root = await repo(files);
  try {
    return (await checkBoundaries(root, LAYERS)).problems.map((p) => `${p.file}: ${p.message}`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("checkBoundaries() passes one-way layers that import through mod.ts", async () => {
  assert.deepEqual(await problems(CLEAN), []);
});

Deno.test("checkBoundaries() fails on a folder cycle and on an import its layer forbids", async () => {
  const found = await problems({
    ...CLEAN,
    "src/state/store.ts":
      `import { Router } from "../router/mod.ts";\nexport class Store { r = Router; }\n`,
  });
  assert.ok(found.some((p) => /folder cycle: router → state → router/.test(p)), found.join("\n"));
  assert.ok(
    found.some((p) => /state\/store\.ts: imports router\/, which the state layer may not/.test(p)),
  );
});

Deno.test("checkBoundaries() fails on an import that bypasses a folder's mod.ts", async () => {
  const found = await problems({
    ...CLEAN,
    "src/router/router.ts":
      `import { Store } from "../state/store.ts";\nexport class Router { s = Store; }\n`,
  });
  assert.ok(found.includes("src/router/router.ts: imports state/store.ts instead of state/mod.ts"));
});

Deno.test("checkBoundaries() fails on a src/ import of tests/", async () => {
  const found = await problems({
    ...CLEAN,
    "tests/_support/fake.ts": `export const fake = 1;\n`,
    "src/state/store.ts":
      `import { fake } from "../../tests/_support/fake.ts";\nexport class Store { f = fake; }\n`,
  });
  assert.ok(found.includes("src/state/store.ts: imports tests/_support/fake.ts from tests/"));
});

Deno.test("checkBoundaries() fails on a file cycle and a door wider than its use", async () => {
  const found = await problems({
    ...CLEAN,
    "src/core/mod.ts": `export { quote, unused } from "./quote.ts";\n`,
    "src/core/quote.ts":
      `import { b } from "./other.ts";\nexport const quote = (s: string) => s + b;\nexport const unused = 1;\n`,
    "src/core/other.ts": `import { quote } from "./quote.ts";\nexport const b = String(quote);\n`,
  });
  assert.ok(
    found.some((p) => p.includes("file cycle: src/core/other.ts → src/core/quote.ts")),
    found.join("\n"),
  );
  assert.ok(
    found.includes("src/core/mod.ts: exports what nothing outside its folder imports: unused"),
  );
});

Deno.test("checkBoundaries() fails on a folder with no declared layer", async () => {
  const found = await problems({ ...CLEAN, "src/extra/mod.ts": `export {};\n` });
  assert.ok(
    found.includes("src/extra/mod.ts: src/extra/ has no layer in LAYERS"),
    found.join("\n"),
  );
});

Deno.test("checkBoundaries() lets only src/ top-level files reach a folder's child.ts", async () => {
  const child = {
    ...CLEAN,
    "src/state/child.ts": `export function childMain() {}\n`,
    "src/child_main.ts": `export const load = () => import("./state/child.ts");\n`,
  };
  assert.deepEqual(await problems(child), []);
  const found = await problems({
    ...child,
    "src/router/router.ts": `import { childMain } from "../state/child.ts";\n` +
      `import { Store } from "../state/mod.ts";\nexport class Router { s = Store; c = childMain; }\n`,
  });
  assert.ok(
    found.some((p) =>
      /router\/router\.ts: imports state\/child\.ts instead of state\/mod\.ts/.test(p)
    ),
    found.join("\n"),
  );
});
