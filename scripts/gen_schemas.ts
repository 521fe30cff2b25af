/**
 * Generates `schemas/` from Kiln's zod models, so editors and other languages get the same
 * contracts Kiln enforces. `deno task schemas` writes them; `deno task schemas:check` fails on drift.
 */
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import * as models from "../src/models/mod.ts";
import { coreToolSchemas } from "../src/tools/mod.ts";
import { STEP_TARGETS } from "../src/workflow/mod.ts";

/** One generated file: where it goes, which model it describes, and its title. */
export interface SchemaEntry {
  /** Path relative to the repository root, e.g. `schemas/app_definition.schema.json`. */
  file: string;
  schema: z.ZodType;
  title: string;
  /** Wire contracts stay open to unknown keys; hand-written files flag them as likely typos. */
  wire?: boolean;
  /** Which side of a transform to describe: what is accepted (default) or what is produced. */
  io?: "input" | "output";
}

/** Base of every `$id`; a file's `$id` is this plus its repository path. */
export const SCHEMA_ID_BASE = "https://kiln.dev/";

/** Every generated schema, one row per file under `schemas/`. */
export const SCHEMAS: readonly SchemaEntry[] = [
  {
    file: "schemas/app_definition.schema.json",
    schema: models.AppDefinition,
    title: "Kiln app definition (state/app_definition.yaml)",
  },
  {
    file: "schemas/component_registry.schema.json",
    schema: models.ComponentRegistry,
    title: "Kiln component registry (state/component_registry.yaml)",
  },
  {
    file: "schemas/component_definition.schema.json",
    schema: models.ComponentDefinition,
    title: "Kiln component definition",
  },
  {
    file: "schemas/sandbox_pool_config.schema.json",
    schema: models.SandboxPoolConfig,
    title: "Kiln sandbox pool configuration",
  },
  {
    file: "schemas/security_config.schema.json",
    schema: models.SecurityConfig,
    title: "Kiln security configuration (state/security_config.yaml)",
  },
  {
    file: "schemas/optimization_config.schema.json",
    schema: models.OptimizationConfig,
    title: "Kiln optimization configuration (state/optimization_config.yaml)",
  },
  {
    file: "schemas/workflow.schema.json",
    schema: models.WorkflowDefinition,
    title: "Kiln workflow (state/workflows/<id>.yaml)",
  },
  ...Object.entries(STEP_TARGETS).map(([type, schema]): SchemaEntry => ({
    file: `schemas/workflow/${type}_target.schema.json`,
    schema,
    title: `Kiln workflow step target (type: ${type})`,
  })),
  {
    file: "schemas/prompt_template.schema.json",
    schema: models.PromptTemplate,
    title: "Kiln prompt template (state/prompts/<name>.yaml)",
  },
  {
    file: "schemas/error_envelope.schema.json",
    schema: models.ErrorEnvelope,
    title: "Kiln API error envelope",
    wire: true,
  },
  {
    file: "schemas/sandbox/execute_request.schema.json",
    schema: models.ExecuteRequest,
    title: "Sandbox POST /execute request",
    wire: true,
  },
  {
    file: "schemas/sandbox/execute_response.schema.json",
    schema: models.ExecuteResponse,
    title: "Sandbox POST /execute 200 response",
    wire: true,
  },
  ...coreToolSchemas().flatMap(({ name, input, output }): SchemaEntry[] => [
    {
      file: `schemas/mcp/${name}.input.schema.json`,
      schema: input,
      title: `MCP tool ${name}: arguments`,
      wire: true,
    },
    {
      file: `schemas/mcp/${name}.output.schema.json`,
      schema: output,
      title: `MCP tool ${name}: structuredContent`,
      wire: true,
      io: "output",
    },
  ]),
];

type Json = Record<string, unknown>;

/** Formats JSON Schema 2020-12 defines; zod's others (e.g. `starts_with`) break strict validators. */
const STANDARD_FORMATS = new Set(
  ("date-time date time duration email idn-email hostname idn-hostname ipv4 ipv6 uri " +
    "uri-reference iri iri-reference uuid uri-template json-pointer relative-json-pointer regex")
    .split(" "),
);

/** `taskDetails` depends on `handlerType`; zod checks that in a refinement, JSON Schema via if/then. */
const TASK_DETAILS_BY_HANDLER: Record<string, z.ZodType> = {
  jit: models.JitTaskDetails,
  llm: models.LlmTaskDetails,
  workflow: models.WorkflowTaskDetails,
};

function toJsonSchema(schema: z.ZodType, wire: boolean, io: "input" | "output" = "input"): Json {
  return z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    override(ctx) {
      const json = ctx.jsonSchema as Json;
      const def = (ctx.zodSchema as unknown as { _zod: { def: Json } })._zod.def;
      if (typeof json.format === "string" && !STANDARD_FORMATS.has(json.format)) delete json.format;
      if (json.maximum === Number.MAX_SAFE_INTEGER) delete json.maximum;
      if (json.minimum === Number.MIN_SAFE_INTEGER) delete json.minimum;
      if (isPlainStringKeys(json.propertyNames)) delete json.propertyNames;
      if (!wire && def.type === "object" && def.catchall === undefined) {
        json.additionalProperties = false;
      }
      if (ctx.zodSchema === models.ComponentDefinition) {
        json.allOf = Object.entries(TASK_DETAILS_BY_HANDLER).map(([handlerType, details]) => ({
          if: {
            type: "object",
            properties: { handlerType: { const: handlerType } },
            required: ["handlerType"],
          },
          then: {
            type: "object",
            properties: { taskDetails: withoutMeta(toJsonSchema(details, wire)) },
          },
        }));
      }
    },
  }) as Json;
}

/** JSON object keys are always strings, so zod's `propertyNames: {type: "string"}` is noise. */
function isPlainStringKeys(value: unknown): boolean {
  return JSON.stringify(value) === '{"type":"string"}';
}

function withoutMeta(json: Json): Json {
  const { $schema: _, ...rest } = json;
  return rest;
}

/** Renders every schema file: repository path → file text. Pure and deterministic. */
export function renderSchemas(entries: readonly SchemaEntry[] = SCHEMAS): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of entries) {
    const body = toJsonSchema(entry.schema, entry.wire ?? false, entry.io);
    const doc = {
      $schema: body.$schema,
      $id: SCHEMA_ID_BASE + entry.file,
      title: entry.title,
      ...withoutMeta(body),
    };
    out.set(entry.file, JSON.stringify(doc, null, 2) + "\n");
  }
  return out;
}

/** How the files on disk differ from the rendered ones (repository paths). */
export interface SchemaDrift {
  stale: string[];
  missing: string[];
  extra: string[];
}

/** Compares the rendered schemas with the files under `root`, including leftovers in their folders. */
export async function findDrift(root: string, rendered: Map<string, string>): Promise<SchemaDrift> {
  const drift: SchemaDrift = { stale: [], missing: [], extra: [] };
  for (const [file, text] of rendered) {
    const current = await readOrNull(join(root, file));
    if (current === null) drift.missing.push(file);
    else if (current !== text) drift.stale.push(file);
  }
  for (const file of await listSchemaFiles(root, rendered)) {
    if (!rendered.has(file)) drift.extra.push(file);
  }
  return drift;
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

async function listSchemaFiles(root: string, rendered: Map<string, string>): Promise<string[]> {
  const dirs = new Set([...rendered.keys()].map((file) => dirname(file)));
  const found: string[] = [];
  for (const dir of [...dirs].sort()) {
    try {
      for await (const entry of Deno.readDir(join(root, dir))) {
        if (entry.isFile && entry.name.endsWith(".schema.json")) found.push(`${dir}/${entry.name}`);
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return found.sort();
}

/** Writes the rendered schemas under `root` and deletes generated-looking files that are not. */
export async function writeSchemas(
  root: string,
  rendered: Map<string, string>,
): Promise<SchemaDrift> {
  const drift = await findDrift(root, rendered);
  for (const file of [...drift.missing, ...drift.stale]) {
    await Deno.mkdir(dirname(join(root, file)), { recursive: true });
    await Deno.writeTextFile(join(root, file), rendered.get(file)!);
  }
  for (const file of drift.extra) await Deno.remove(join(root, file));
  return drift;
}

function describeDrift(drift: SchemaDrift): string[] {
  return [
    ...drift.stale.map((f) => `  stale:   ${f}`),
    ...drift.missing.map((f) => `  missing: ${f}`),
    ...drift.extra.map((f) => `  extra:   ${f}`),
  ];
}

async function main(args: string[]): Promise<number> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const rendered = renderSchemas();
  if (args.includes("--check")) {
    const drift = await findDrift(root, rendered);
    const lines = describeDrift(drift);
    if (lines.length === 0) {
      console.log(`schemas/ is up to date (${rendered.size} files)`);
      return 0;
    }
    console.error(`schemas/ does not match the zod models in src/models/:\n${lines.join("\n")}`);
    console.error("run `deno task schemas` to regenerate them, then commit schemas/");
    return 1;
  }
  if (args.length > 0) {
    console.error(`unknown argument "${args[0]}"; usage: gen_schemas.ts [--check]`);
    return 2;
  }
  const drift = await writeSchemas(root, rendered);
  const lines = [
    ...[...drift.missing, ...drift.stale].map((f) => `  wrote:   ${f}`),
    ...drift.extra.map((f) => `  removed: ${f}`),
  ];
  const where = relative(Deno.cwd(), join(root, "schemas")) || ".";
  console.log(
    lines.length === 0 ? `${where}/ already up to date` : `updated ${where}/:\n${lines.join("\n")}`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
