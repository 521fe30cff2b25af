import assert from "node:assert/strict";
import { createTwoFilesPatch } from "diff";
import { KilnError } from "../core/mod.ts";
import { LIMITS } from "../core/mod.ts";
import { applyFilePatch, boundedPatch, formatFileDiff, parseFilePatch } from "./_patch.ts";
import { applyPatch } from "diff";

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof KilnError, String(err));
    return err.code;
  }
  assert.fail("expected a KilnError");
}

const BASE = "a: 1\nb: 2\nc: 3\n";

Deno.test("parseFilePatch() accepts plain, prefixed and state/-prefixed names", () => {
  const next = BASE.replace("b: 2", "b: 20");
  for (
    const [from, to] of [["x.yaml", "x.yaml"], ["a/x.yaml", "b/x.yaml"], [
      "a/state/x.yaml",
      "b/state/x.yaml",
    ]]
  ) {
    const parsed = parseFilePatch(createTwoFilesPatch(from, to, BASE, next), "x.yaml");
    assert.equal(applyFilePatch(parsed, BASE, "x.yaml"), next);
  }
  const bare = "@@ -2 +2 @@\n-b: 2\n+b: 3\n";
  assert.equal(
    applyFilePatch(parseFilePatch(bare, "x.yaml"), BASE, "x.yaml"),
    "a: 1\nb: 3\nc: 3\n",
  );
});

Deno.test("parseFilePatch() refuses other files, several files, renames and empty diffs", () => {
  assert.equal(
    code(() => parseFilePatch(createTwoFilesPatch("y.yaml", "y.yaml", BASE, "z"), "x.yaml")),
    "PATCH_INVALID",
  );
  const two = createTwoFilesPatch("x.yaml", "x.yaml", BASE, "q\n") +
    createTwoFilesPatch("x.yaml", "x.yaml", "q\n", "r\n");
  assert.equal(code(() => parseFilePatch(two, "x.yaml")), "PATCH_INVALID");
  const rename =
    "diff --git a/x.yaml b/y.yaml\nsimilarity index 100%\nrename from x.yaml\nrename to y.yaml\n";
  assert.equal(code(() => parseFilePatch(rename, "x.yaml")), "PATCH_INVALID");
  assert.equal(code(() => parseFilePatch("", "x.yaml")), "PATCH_INVALID");
  assert.equal(code(() => parseFilePatch("@@ -1 +1 @@\n*x\n", "x.yaml")), "PATCH_INVALID");
});

Deno.test("applyFilePatch() names the first hunk that does not apply", () => {
  const long = Array.from({ length: 40 }, (_, i) => `line${i}`).join("\n") + "\n";
  const next = long.replace("line2\n", "LINE2\n").replace("line30\n", "LINE30\n");
  const parsed = parseFilePatch(createTwoFilesPatch("x", "x", long, next), "x");
  const drifted = long.replace("line30\n", "changed30\n");
  try {
    applyFilePatch(parsed, drifted, "x");
    assert.fail("applied");
  } catch (err) {
    assert.ok(err instanceof KilnError);
    assert.equal(err.code, "PATCH_CONFLICT");
    assert.equal((err.details as { hunk: number }).hunk, 2);
  }
});

Deno.test("applyFilePatch() creates from /dev/null and deletes to /dev/null", () => {
  const create = parseFilePatch(
    createTwoFilesPatch("/dev/null", "b/n.yaml", "", "n: 1\n"),
    "n.yaml",
  );
  assert.equal(create.kind, "create");
  assert.equal(applyFilePatch(create, undefined, "n.yaml"), "n: 1\n");
  assert.equal(code(() => applyFilePatch(create, "n: 0\n", "n.yaml")), "PATCH_CONFLICT");
  const del = parseFilePatch(createTwoFilesPatch("a/n.yaml", "/dev/null", "n: 1\n", ""), "n.yaml");
  assert.equal(applyFilePatch(del, "n: 1\n", "n.yaml"), null);
  assert.equal(code(() => applyFilePatch(del, undefined, "n.yaml")), "PATCH_CONFLICT");
});

Deno.test("formatFileDiff() output round-trips through parseFilePatch", () => {
  for (
    const [from, to] of [[BASE, "z\n"], [undefined, "new\n"], [BASE, undefined], [undefined, ""]]
  ) {
    const parsed = parseFilePatch(formatFileDiff("d/x.yaml", from, to), "d/x.yaml");
    assert.equal(applyFilePatch(parsed, from, "d/x.yaml"), to ?? null);
  }
  assert.match(
    formatFileDiff("logo.png", null, undefined),
    /^Binary files a\/logo.png and \/dev\/null differ$/m,
  );
});

Deno.test("boundedPatch() shows very different files as replaced whole, in linear time", () => {
  const lines = (seed: string, n: number) =>
    Array.from({ length: n }, (_, i) => `${seed} ${i}`).join("\n");
  const a = lines("a", 20_000) + "\n", b = lines("b", 20_000);
  const started = performance.now();
  const patch = boundedPatch("a/x", "b/x", a, b);
  assert.ok(performance.now() - started < 2_000, "no quadratic search");
  assert.equal(patch.hunks.length, 1);
  assert.equal(applyPatch(a, patch), b, "the whole-file patch applies");
  // Small edits keep their minimal hunks.
  const edited = a.replace("a 500\n", "a 500!\n");
  const small = boundedPatch("a/x", "b/x", a, edited);
  assert.ok(small.hunks[0].lines.length <= 10, `${small.hunks[0].lines.length} lines`);
  assert.ok(LIMITS["diff.edits"] > 0);
  // Creation and deletion patches apply too.
  assert.equal(applyPatch("", boundedPatch("a/x", "b/x", "", "x\ny")), "x\ny");
  const text = formatFileDiff("big.txt", a, b);
  assert.equal(applyFilePatch(parseFilePatch(text, "big.txt"), a, "big.txt"), b);
});
