/**
 * Generates `docs/guide/reference.md`: every definition file and field (from the zod models),
 * every CLI command and flag (from the CLI's own help), and every environment variable Kiln
 * reads (the ENV table below, checked against the source). `deno task guide` writes it;
 * `deno task guide:check` fails when it is stale or when the source reads a variable ENV lacks.
 */
import { z } from "zod";
import * as models from "../src/models/mod.ts";
import { STEP_TARGETS } from "../src/workflow/mod.ts";
import { runCli } from "../src/cli/mod.ts";
import { COMMANDS } from "../src/cli/_catalog.ts";

const OUT = new URL("../docs/guide/reference.md", import.meta.url);
const SRC = new URL("../src/", import.meta.url);

/** A definition file of an app's `state/` and the model that validates it. */
interface DefinitionFile {
  path: string;
  model: z.ZodType;
  about: string;
}

const FILES: DefinitionFile[] = [
  {
    path: "state/app_definition.yaml",
    model: models.AppDefinition,
    about: "The app: id, name, version, configuration, sandbox pools, secrets it may use.",
  },
  {
    path: "state/component_registry.yaml",
    model: models.ComponentRegistry,
    about: "The components: handler type, tier, trust, limits, routes, permissions, schemas.",
  },
  {
    path: "taskDetails (handlerType: jit)",
    model: models.JitTaskDetails,
    about: "Hand-written code: a script under `state/` and its entry function.",
  },
  {
    path: "taskDetails (handlerType: llm)",
    model: models.LlmTaskDetails,
    about: "A prompt template under `state/prompts/`.",
  },
  {
    path: "taskDetails (handlerType: workflow)",
    model: models.WorkflowTaskDetails,
    about: "A workflow under `state/workflows/`.",
  },
  {
    path: "state/prompts/<name>.yaml",
    model: models.PromptTemplate,
    about: "A prompt template an llm component renders.",
  },
  {
    path: "state/workflows/<id>.yaml",
    model: models.WorkflowDefinition,
    about: "A workflow: steps, their targets, inputs and transitions.",
  },
  ...Object.entries(STEP_TARGETS).map(([type, model]): DefinitionFile => ({
    path: `workflow step target (type: ${type})`,
    model,
    about: `The \`target\` of a workflow step of type \`${type}\`.`,
  })),
  {
    path: "state/security_config.yaml",
    model: models.SecurityConfig,
    about: "API keys (hashed), inter-app permissions, user roles.",
  },
  {
    path: "state/optimization_config.yaml",
    model: models.OptimizationConfig,
    about: "The JIT loop: sampling, generation, shadow checks, promotion.",
  },
];

/**
 * Every environment variable Kiln reads, in one place. The generator refuses to run when the
 * source reads a `KILN_*` variable missing here, or lists one the source no longer reads.
 */
export const ENV: Record<string, string> = {
  KILN_ADMIN_TOKEN: "Admin bearer token (`kiln serve`; the CLI's default token). Unset on first " +
    "start: one is generated and printed once.",
  KILN_ADVERTISE_URL: "Cluster mode: where other nodes reach this one (`--advertise-url`).",
  KILN_CLUSTER_URL: "Join the cluster sharing this Redis (`--cluster`).",
  KILN_CONFIG_DIR: "Where the CLI keeps its profiles (default `~/.config/kiln`).",
  KILN_CONFIG_FILE: "The global configuration level, YAML or JSON (`--config`).",
  KILN_CONTAINERS: "`off` disables the container tier (on when Docker answers).",
  KILN_DATA_DIR: "Where repos and the embedded store live (`--data-dir`, default `./.kiln-data`).",
  KILN_DENO_PATH: "The deno binary isolate sandboxes run on (default: the running one).",
  KILN_DRAIN_MS: "Cluster mode: how long `/healthz` fails before a stopping node closes (2000).",
  KILN_HOST: "Interface `kiln serve` binds (`--host`, default 127.0.0.1).",
  KILN_LLM_API_KEY_ENV: "The name of the variable holding the live model's API key.",
  KILN_LLM_BASE_URL: "The live model provider's base URL.",
  KILN_LLM_CODER_MODEL: "The model the JIT loop generates code with.",
  KILN_LLM_CONFIG: "Full JSON LLM profiles (instead of the KILN_LLM_* variables).",
  KILN_LLM_MODEL: "The live model llm components use.",
  KILN_LLM_PROVIDER:
    "A live model provider: `openai` or `anthropic`; unset, Kiln replays cassettes.",
  KILN_LLM_RECORD_DIR: "Record live LLM calls to cassettes in this directory.",
  KILN_REPLAY_SPEED:
    "How fast replayed streams play their recorded chunk timing: 1 as recorded, 0 at once.",
  KILN_LOG_LEVEL: "`debug` | `info` | `warn` | `error` (default `info`).",
  KILN_MCP_ALLOWED_HOSTS: "Comma-separated Host names `/mcp` accepts besides loopback.",
  KILN_MCP_ALLOWED_ORIGINS: "Comma-separated browser origins `/mcp` accepts besides loopback.",
  KILN_NODE_ID: "Cluster mode: this node's id (`--node-id`).",
  KILN_PORT: "Port `kiln serve` listens on (`--port`, default 7411).",
  KILN_PROFILE: "The CLI profile to use (`--profile`).",
  KILN_PUBLIC_URL: "The URL clients reach Kiln at (behind a proxy); its host is allowed on /mcp.",
  KILN_STORE_URL: "Runtime state on Redis: `redis://…` or `redis+sentinel://…` (`--store`).",
  KILN_TEST_REDIS_URL: "Tests: the Redis the Redis-backed tests use.",
  KILN_URL: "The Kiln the CLI talks to (`--url`).",
  KILN_WORKFLOW_MCP_COMMANDS: "Comma-separated commands apps may start as stdio MCP servers.",
  DOCKER_SOCKET: "The Docker Engine socket (default `/var/run/docker.sock`).",
};

type Json = Record<string, unknown>;

function jsonSchema(model: z.ZodType): Json {
  return z.toJSONSchema(model, {
    target: "draft-2020-12",
    io: "input",
    unrepresentable: "any",
  }) as Json;
}

interface Row {
  field: string;
  type: string;
  required: boolean;
  notes: string;
}

function resolve(node: Json, root: Json): Json {
  const ref = node.$ref;
  if (typeof ref !== "string") return node;
  const name = ref.replace(/^#\/\$defs\//, "");
  return ((root.$defs as Json | undefined)?.[name] as Json | undefined) ?? {};
}

function typeOf(node: Json, root: Json): string {
  if (typeof node.$ref === "string") return typeOf(resolve(node, root), root);
  if (Array.isArray(node.enum)) return node.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  if ("const" in node) return JSON.stringify(node.const);
  const union = (node.anyOf ?? node.oneOf) as Json[] | undefined;
  if (union) return [...new Set(union.map((n) => typeOf(n, root)))].join(" \\| ");
  if (node.type === "array") return `list of ${typeOf((node.items as Json) ?? {}, root)}`;
  if (node.type === "object" && !node.properties && node.additionalProperties) {
    const values = node.additionalProperties === true ? {} : node.additionalProperties as Json;
    return `map of ${typeOf(values, root)}`;
  }
  if (Array.isArray(node.type)) return node.type.join(" \\| ");
  return typeof node.type === "string" ? node.type : "any";
}

function notesOf(node: Json, root: Json): string {
  const n = resolve(node, root);
  const notes: string[] = [];
  const description = node.description ?? n.description;
  if (typeof description === "string") notes.push(description.replace(/\s+/g, " "));
  if ("default" in node) notes.push(`default \`${JSON.stringify(node.default)}\``);
  for (
    const [key, word] of [
      ["minLength", "min length"],
      ["maxLength", "max length"],
      ["minimum", "min"],
      ["maximum", "max"],
      ["minItems", "min items"],
      ["maxItems", "max items"],
    ] as const
  ) {
    if (typeof n[key] === "number") notes.push(`${word} ${n[key]}`);
  }
  if (typeof n.pattern === "string") notes.push(`pattern \`${n.pattern}\``);
  return notes.join("; ").replaceAll("|", "\\|");
}

function walk(node: Json, root: Json, path: string, rows: Row[], seen: Set<string>): void {
  const ref = typeof node.$ref === "string" ? node.$ref : undefined;
  if (ref && seen.has(ref)) return; // recursive: listed where it first appears
  const inner = new Set(seen);
  if (ref) inner.add(ref);
  const n = resolve(node, root);
  const props = n.properties as Record<string, Json> | undefined;
  if (props) {
    const required = new Set((n.required as string[] | undefined) ?? []);
    for (const [key, child] of Object.entries(props)) {
      const field = path ? `${path}.${key}` : key;
      rows.push({
        field,
        type: typeOf(child, root),
        required: required.has(key),
        notes: notesOf(child, root),
      });
      walk(child, root, field, rows, inner);
    }
  }
  if (n.type === "array" && n.items) walk(n.items as Json, root, `${path}[]`, rows, inner);
  if (n.type === "object" && !props && n.additionalProperties && n.additionalProperties !== true) {
    walk(n.additionalProperties as Json, root, `${path}.<key>`, rows, inner);
  }
  for (const variant of ((n.anyOf ?? n.oneOf) as Json[] | undefined) ?? []) {
    walk(variant, root, path, rows, inner);
  }
}

function fieldTable(model: z.ZodType): string {
  const root = jsonSchema(model);
  const rows: Row[] = [];
  walk(root, root, "", rows, new Set());
  const unique = new Map(rows.map((r) => [`${r.field}\0${r.type}`, r]));
  const lines = ["| Field | Type | Required | Notes |", "| --- | --- | --- | --- |"];
  for (const r of unique.values()) {
    lines.push(`| \`${r.field}\` | ${r.type} | ${r.required ? "yes" : ""} | ${r.notes} |`);
  }
  return lines.join("\n");
}

async function helpOf(args: string[]): Promise<string> {
  const out: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
  await runCli(args, io);
  return out.join("\n").trimEnd();
}

async function cliSection(): Promise<string> {
  const parts: string[] = [
    "## CLI",
    "",
    "Every command, as `kiln <command> --help` prints it. Commands that talk to Kiln take " +
    "`--url`, `--token`, `--profile` and `--json`.",
  ];
  for (const c of COMMANDS) {
    if (c.name === "version") continue;
    parts.push(
      "",
      `### kiln ${c.name}`,
      "",
      c.summary + ".",
      "",
      "```text",
      await helpOf([c.name, "--help"]),
      "```",
    );
  }
  parts.push("", "### kiln version", "", "Prints the version; `--json` adds the Deno version.");
  return parts.join("\n");
}

/** `KILN_*` names the source reads (string literals outside tests), and DOCKER_SOCKET. */
async function envRead(): Promise<Set<string>> {
  const names = new Set<string>();
  const visit = async (dir: URL) => {
    for await (const entry of Deno.readDir(dir)) {
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory && entry.name !== "generated") await visit(url);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
        const text = await Deno.readTextFile(url);
        for (const m of text.matchAll(/["'`](KILN_[A-Z0-9_]*[A-Z0-9])["'`]/g)) names.add(m[1]);
        if (text.includes('"DOCKER_SOCKET"')) names.add("DOCKER_SOCKET");
      }
    }
  };
  await visit(SRC);
  return names;
}

async function envSection(): Promise<string> {
  const read = await envRead();
  const missing = [...read].filter((n) => !(n in ENV));
  const stale = Object.keys(ENV).filter((n) => !read.has(n));
  if (missing.length || stale.length) {
    throw new Error(
      `scripts/gen_guide_reference.ts ENV is out of date: ` +
        `${missing.length ? `add ${missing.join(", ")}` : ""}` +
        `${stale.length ? ` remove ${stale.join(", ")}` : ""}`,
    );
  }
  const lines = [
    "## Environment variables",
    "",
    "Every variable Kiln reads. LLM API keys live in variables their profile names " +
    "(`apiKeyEnv`); Kiln never reads a key from a file.",
    "",
    "| Variable | Meaning |",
    "| --- | --- |",
  ];
  for (const name of Object.keys(ENV).sort()) lines.push(`| \`${name}\` | ${ENV[name]} |`);
  return lines.join("\n");
}

/** The whole reference, deterministic. */
export async function renderReference(): Promise<string> {
  const files = FILES.map((f) => [`### ${f.path}`, "", f.about, "", fieldTable(f.model)].join("\n"))
    .join("\n\n");
  const text = [
    "<!-- Generated by scripts/gen_guide_reference.ts (deno task guide); do not edit. -->",
    "",
    "# Reference",
    "",
    "Definition files and their fields, CLI commands and flags, environment variables. The",
    "JSON Schemas of the same models are in `schemas/` (editors can validate with them).",
    "",
    "## Definition files",
    "",
    "Field paths use `.` for nesting, `[]` for list items and `<key>` for map keys.",
    "",
    files,
    "",
    await cliSection(),
    "",
    await envSection(),
    "",
  ].join("\n");
  return text;
}

if (import.meta.main) {
  const text = await renderReference();
  if (Deno.args.includes("--check")) {
    const current = await Deno.readTextFile(OUT).catch(() => "");
    if (current !== text) {
      console.error("docs/guide/reference.md is stale: run deno task guide");
      Deno.exit(1);
    }
    console.log("docs/guide/reference.md is up to date");
  } else {
    await Deno.writeTextFile(OUT, text);
    console.log(`wrote docs/guide/reference.md (${text.length} characters)`);
  }
}
