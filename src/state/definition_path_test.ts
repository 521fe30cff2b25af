import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { normalizeDefinitionPath } from "./definition_path.ts";

function refused(path: string, opts?: { allowRoot?: boolean }): KilnError {
  try {
    normalizeDefinitionPath(path, opts);
  } catch (err) {
    assert.ok(err instanceof KilnError);
    return err;
  }
  assert.fail(`${JSON.stringify(path)} was accepted`);
}

Deno.test("normalizeDefinitionPath() keeps plain relative paths and strips leading ./", () => {
  assert.equal(normalizeDefinitionPath("app_definition.yaml"), "app_definition.yaml");
  assert.equal(normalizeDefinitionPath("prompts/greet.yaml"), "prompts/greet.yaml");
  assert.equal(normalizeDefinitionPath("././_jit_code/x/1/spec.json"), "_jit_code/x/1/spec.json");
  assert.equal(normalizeDefinitionPath(".github/x.yaml"), ".github/x.yaml");
  assert.equal(normalizeDefinitionPath("a..b/c...yaml"), "a..b/c...yaml");
});

Deno.test("normalizeDefinitionPath() refuses every escape with PATH_NOT_ALLOWED", () => {
  const bad = [
    "../x",
    "/etc/passwd",
    "\\x",
    "C:/x",
    "c:x",
    ".git/config",
    "state/../../x",
    "a/../b",
    "a/.GIT/b",
    "a/.git",
    "a/.git./b",
    "a/.git /b",
    "GIT~1/config",
    "a/.git:stream/b",
    "a/.\u200cgit/b",
    "a\\b",
    "a\0b",
    "a\nb",
    "a//b",
    "a/./b",
    "a/../../b",
    "..",
    ". .",
    "",
    "x".repeat(513),
  ];
  for (const path of bad) {
    const err = refused(path);
    assert.equal(err.code, "PATH_NOT_ALLOWED", path);
    assert.equal(err.status, 400);
  }
});

Deno.test("normalizeDefinitionPath() quotes the refused path in its message", () => {
  assert.match(refused("../secret").message, /"\.\.\/secret"/);
});

Deno.test("normalizeDefinitionPath() accepts the root and a trailing slash only for listings", () => {
  assert.equal(normalizeDefinitionPath("", { allowRoot: true }), "");
  assert.equal(normalizeDefinitionPath(".", { allowRoot: true }), "");
  assert.equal(normalizeDefinitionPath("./", { allowRoot: true }), "");
  assert.equal(normalizeDefinitionPath("prompts/", { allowRoot: true }), "prompts");
  assert.equal(refused(".").code, "PATH_NOT_ALLOWED");
  assert.equal(refused("prompts/").code, "PATH_NOT_ALLOWED");
  assert.equal(refused("../", { allowRoot: true }).code, "PATH_NOT_ALLOWED");
});

Deno.test("normalizeDefinitionPath() refuses look-alike dots, invisible characters and Git's names", () => {
  const bad = [
    "\u2025/x.yaml", // two dot leader: NFKC ".."
    "\uff0e\uff0e/x.yaml", // fullwidth full stops
    "a/\uff0e\uff0e/b",
    "\ufe52/x", // small full stop
    "a\u202e.yaml", // right-to-left override
    "a\u2066b/c", // left-to-right isolate
    "a\u200bb", // zero-width space
    "\ufeffx.yaml", // BOM
    "a\u0085b", // C1 control (next line)
    "e\u0301.yaml", // not NFC either
    ".gitmodules",
    "x/.GITMODULES",
    "x/.gitmodules. ",
    "GITMOD~1",
    ".gitattributes",
    "a\ud800b", // lone surrogate
  ];
  for (const path of bad) {
    assert.equal(refused(path).code, "PATH_NOT_ALLOWED", JSON.stringify(path));
  }
  assert.match(refused("\u2025/x.yaml").message, /NFKC.*"\.\.\/x\.yaml"/);
  assert.match(refused("a\u202e.yaml").message, /invisible/);
  assert.match(refused(".gitmodules").message, /Git gives meaning/);
});

Deno.test("normalizeDefinitionPath() keeps ordinary non-ASCII names in NFC", () => {
  for (const path of ["prompts/caf\u00e9.yaml", "docs/\u65e5\u672c\u8a9e.md", "gitmodules.yaml"]) {
    assert.equal(normalizeDefinitionPath(path), path);
  }
  // A long run of dots is refused in linear time (no backtracking regex).
  const started = performance.now();
  assert.equal(refused(".".repeat(500) + "x/" + ".".repeat(10)).code, "PATH_NOT_ALLOWED");
  assert.ok(performance.now() - started < 50);
});
