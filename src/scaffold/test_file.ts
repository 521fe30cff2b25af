import { join } from "node:path";
import { z } from "zod";
import { KilnError, quote, yamlValueOrThrow } from "../core/mod.ts";

/** The tiers a case may expect its component to run on (the `X-Kiln-Tier` header). */
const Tier = z.enum(["isolate", "wasm", "container"]);

/** What a case expects of the answer; omitted fields are not checked. */
const Expectation = z.strictObject({
  /** The HTTP status (default 200, or any error status when `error` is given). */
  status: z.number().int().min(100).max(599).optional(),
  /** The error code of a `{error: {code}}` answer. */
  error: z.string().regex(/^[A-Z][A-Z0-9_]*$/).optional(),
  /** The tier Kiln ran the component on. */
  tier: Tier.optional(),
  /** The JSON body, matched as a subset: every field given must match, others may exist. */
  body: z.unknown().optional(),
  /** The JSON body exactly. */
  equals: z.unknown().optional(),
});

/** One case of a `tests/*.test.yaml` file: a request to one component and what it answers. */
export const TestCase = z.strictObject({
  name: z.string().min(1).max(200),
  component: z.string().min(1),
  /** The request: a JSON body, or the query parameters of a GET. */
  input: z.unknown().optional(),
  /** Path parameters of the component's route (`/users/:id` → `{id: "42"}`). */
  params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  query: z.record(z.string(), z.string()).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /**
   * How the case reaches the component: `http` (its route on the app's ingress) or `mcp` (its
   * `app.<appId>.<componentId>` tool on `/mcp`); default `http` when it has a route, else `mcp`.
   */
  via: z.enum(["http", "mcp"]).optional(),
  /** The HTTP method (default: the route's first). */
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]).optional(),
  expect: Expectation.default({}),
});
export type TestCase = z.infer<typeof TestCase>;

export const TestFile = z.strictObject({ cases: z.array(TestCase).min(1).max(1000) });

/** The cases of one test file. */
export interface LoadedTests {
  /** The file, relative to the app directory (`tests/x.test.yaml`). */
  file: string;
  cases: TestCase[];
}

/** Bytes one test file may hold: test files are the author's, but a typo should not hang. */
const MAX_TEST_FILE_BYTES = 1 << 20;

/**
 * Reads `DIR/tests/*.test.yaml` in name order. A file that does not parse, or a case that does not
 * fit the format (docs/guide/testing.md), is refused with the file and the field.
 */
export async function loadTestFiles(dir: string): Promise<LoadedTests[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(join(dir, "tests"))) {
      if (entry.isFile && entry.name.endsWith(".test.yaml")) names.push(entry.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  const out: LoadedTests[] = [];
  for (const name of names.sort()) {
    const file = `tests/${name}`;
    const bytes = await Deno.readFile(join(dir, file));
    if (bytes.length > MAX_TEST_FILE_BYTES) {
      throw new KilnError(
        "VALIDATION_ERROR",
        `${quote(file)} holds ${bytes.length} bytes; a test file may hold ${MAX_TEST_FILE_BYTES}`,
        { file },
      );
    }
    const parsed = TestFile.safeParse(yamlValueOrThrow(new TextDecoder().decode(bytes), file));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new KilnError(
        "VALIDATION_ERROR",
        `${quote(file)}: ${issue.path.join(".") || "(root)"}: ${issue.message}`,
        { file, issues: parsed.error.issues },
      );
    }
    const seen = new Set<string>();
    for (const c of parsed.data.cases) {
      if (seen.has(c.name)) {
        throw new KilnError(
          "VALIDATION_ERROR",
          `${quote(file)}: two cases named ${quote(c.name)}`,
          {
            file,
            name: c.name,
          },
        );
      }
      seen.add(c.name);
    }
    out.push({ file, cases: parsed.data.cases });
  }
  return out;
}
