import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { z } from "zod";
import {
  AppDefinition,
  ComponentRegistry,
  OptimizationConfig,
  PromptTemplate,
  SecurityConfig,
  WorkflowDefinition,
} from "../src/models/mod.ts";
import { validateDefinitionSet } from "../src/state/validate_definition.ts";
import { VERSION } from "../src/core/version.ts";
import { readStateFiles, renderBundle } from "../scripts/gen_example_bundle.ts";
import { supportDeskFiles } from "./support_desk_bundle.ts";

const STATE = new URL("./support-desk/state/", import.meta.url);
const files = await readStateFiles(fileURLToPath(STATE));

function modelFor(path: string): z.ZodType | undefined {
  const top: Record<string, z.ZodType> = {
    "app_definition.yaml": AppDefinition,
    "component_registry.yaml": ComponentRegistry,
    "security_config.yaml": SecurityConfig,
    "optimization_config.yaml": OptimizationConfig,
  };
  if (path in top) return top[path];
  if (/^prompts\/[^/]+\.yaml$/.test(path)) return PromptTemplate;
  if (/^workflows\/[^/]+\.yaml$/.test(path)) return WorkflowDefinition;
  return undefined;
}

function load<T extends z.ZodType>(path: string, model: T): z.output<T> {
  const text = files[path];
  assert.ok(text !== undefined, `state/${path} exists`);
  const result = model.safeParse(parse(text));
  assert.ok(result.success, `state/${path}: ${JSON.stringify(result.error?.issues)}`);
  return result.data;
}

async function importHandler(script: string, fn: string) {
  const mod = await import(new URL(script, STATE).href);
  assert.equal(typeof mod[fn], "function", `${script} exports a function ${fn}`);
  return mod[fn] as (requestData: unknown, context: unknown) => Record<string, unknown>;
}

function schemaValidator(path: string) {
  return new Ajv2020({ strict: true, allErrors: true }).compile(JSON.parse(files[path]));
}

Deno.test("every support-desk YAML file parses with its zod model", () => {
  const yamlFiles = Object.keys(files).filter((p) => p.endsWith(".yaml"));
  assert.deepEqual(yamlFiles.filter((p) => !modelFor(p)), [], "no YAML file without a model");
  for (const path of yamlFiles) load(path, modelFor(path)!);
  const app = load("app_definition.yaml", AppDefinition);
  assert.equal(app.appId, "support-desk");
  assert.deepEqual(
    app.sandboxPools?.pools.map((p) => [p.poolName, p.dockerImage, p.minInstances]),
    [
      // The image `kiln sandbox build-images` builds: one that exists is checked at registration.
      ["default", `kiln/deno-runner:${VERSION}`, 0],
    ],
  );
  const security = load("security_config.yaml", SecurityConfig);
  assert.deepEqual(security.apiKeys, [], "no keys or secrets ship with the example");
});

Deno.test("Kiln's definition validation accepts the support-desk state/ tree", () => {
  assert.deepEqual(validateDefinitionSet("support-desk", new Map(Object.entries(files))), []);
});

Deno.test("every jit component and workflow step names a script exporting its function", async () => {
  const { components } = load("component_registry.yaml", ComponentRegistry);
  const workflows = Object.keys(files).filter((p) => p.startsWith("workflows/"))
    .map((p) => load(p, WorkflowDefinition));
  const targets = [
    ...components.filter((c) => c.handlerType === "jit").map((c) => c.taskDetails),
    ...workflows.flatMap((w) => Object.values(w.steps)).filter((s) => s.type === "jit")
      .map((s) => s.target),
  ];
  assert.ok(targets.length >= 4);
  for (const target of targets) {
    assert.ok(files[String(target.script)] !== undefined, `state/${target.script} exists`);
    await importHandler(String(target.script), String(target.function));
  }
});

Deno.test("the triage workflow's transitions name real steps and every path ends", () => {
  const wf = load("workflows/triage.yaml", WorkflowDefinition);
  const next = (id: string): string[] => {
    const t = wf.steps[id].transitions;
    if (!t) return [];
    if (Array.isArray(t)) return t.map((x) => x.nextStep);
    return [t.onSuccess, ...t.onFailure.map((x) => x.nextStep), t.onFailureDefault]
      .filter((s): s is string => s !== undefined);
  };
  const seen = new Set<string>();
  const visit = (id: string) => {
    assert.ok(id in wf.steps, `step "${id}" exists`);
    if (seen.has(id)) return;
    seen.add(id);
    const targets = next(id);
    assert.equal(
      wf.steps[id].end,
      targets.length === 0,
      `step "${id}" ends iff it has no next step`,
    );
    targets.forEach(visit);
  };
  visit(wf.startAt);
  assert.deepEqual([...seen].sort(), Object.keys(wf.steps).sort(), "every step is reachable");
  const types = [...seen].map((id) => `${wf.steps[id].type}:${wf.steps[id].target.subtype ?? ""}`);
  for (const t of ["jit:", "llm:", "control:choice", "control:formatResponse"]) {
    assert.ok(types.includes(t), `the workflow has a ${t} step`);
  }
});

Deno.test("the classify_ticket prompt's examples match the ticket and classification schemas", () => {
  const prompt = load("prompts/classify_ticket.yaml", PromptTemplate);
  assert.equal(prompt.outputFormat, "json");
  assert.equal(prompt.outputSchema, "schemas/ticket_classification.schema.json");
  assert.match(prompt.template, /\{\{ ticket\.subject \}\}/);
  const ticket = schemaValidator("schemas/ticket.schema.json");
  const classification = schemaValidator("schemas/ticket_classification.schema.json");
  assert.equal(prompt.examples.length, 2);
  for (const { input, output } of prompt.examples) {
    assert.ok(ticket((input as { ticket: unknown }).ticket), JSON.stringify(ticket.errors));
    assert.ok(classification(output), JSON.stringify(classification.errors));
  }
  assert.equal(classification({ category: "billing" }), false);
});

Deno.test("ticketPriority() scores tier, reach and wording, and escalates per configuration", async () => {
  const ticketPriority = await importHandler("code/ticket_priority.ts", "ticketPriority");
  const context = { configuration: { escalationScore: 7 } };
  const outage = {
    subject: "Dashboard down",
    description: "Nobody can log in, we get 502. Urgent.",
    customerTier: "enterprise",
    affectedUsers: 250,
  };
  const p1 = ticketPriority({ input: { ticket: outage } }, context);
  assert.deepEqual(p1, {
    priority: "P1",
    score: 10,
    escalate: true,
    reasons: ["enterprise customer", "250 users affected", "service unusable", "marked urgent"],
  });
  const body = JSON.stringify({ subject: "Feature idea", description: "A download button" });
  const p4 = ticketPriority({ httpDetails: { body, bodyEncoding: "utf8" } }, context);
  assert.deepEqual(p4, { priority: "P4", score: 0, escalate: false, reasons: [] });
  const strict = ticketPriority({ input: outage }, { configuration: { escalationScore: 11 } });
  assert.equal(strict.escalate, false);
  assert.throws(
    () => ticketPriority({ input: { subject: "x" } }, context),
    /subject and description/,
  );
});

Deno.test("health and echo answer from the request and context they are given", async () => {
  const health = await importHandler("code/health.ts", "health");
  const info = { version: "0.1.0", revision: "abc123" };
  assert.deepEqual(health({}, { appId: "support-desk", applicationInfo: info }), {
    status: "ok",
    appId: "support-desk",
    version: "0.1.0",
    revision: "abc123",
  });
  const echo = await importHandler("code/echo.ts", "echo");
  const http = {
    method: "POST",
    path: "/echo",
    queryParameters: { q: "1" },
    headers: { "Content-Type": "text/plain" },
    body: "hello",
    bodyEncoding: "utf8",
  };
  const res = echo({ httpDetails: http }, {});
  assert.equal(res.statusCode, 200);
  assert.equal(res.body, "hello");
  assert.equal((res.headers as Record<string, string>)["content-type"], "text/plain");
  assert.throws(() => echo({}, {}), /HTTP requests only/);
});

Deno.test("support_desk_bundle.ts embeds exactly the files on disk (rerun gen_example_bundle.ts)", async () => {
  assert.deepEqual(supportDeskFiles, files);
  const bundle = await Deno.readTextFile(new URL("./support_desk_bundle.ts", import.meta.url));
  assert.equal(bundle, renderBundle(files));
});
