import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { parse } from "yaml";
import { checkWorkflow, loadWorkflow, workflowDefinitionIssues } from "./loader.ts";

const FILE = "workflows/w.yaml";

function issuesOf(yaml: string) {
  return checkWorkflow(FILE, yaml).issues.map((i) =>
    `${i.step ?? "-"} ${i.field ?? "-"}: ${i.message}`
  );
}

Deno.test("loadWorkflow() compiles the example triage workflow", async () => {
  const text = await Deno.readTextFile(
    new URL("../../examples/support-desk/state/workflows/triage.yaml", import.meta.url),
  );
  const wf = loadWorkflow("workflows/triage.yaml", text);
  assert.equal(wf.workflowId, "triage");
  assert.equal(wf.startAt, "count");
  assert.deepEqual(wf.coreTools, ["core.state.incrementRuntimeValue"]);
  assert.ok(wf.steps.get("escalate")!.terminal);
});

Deno.test("loadWorkflow() names file, step and field of an unknown nextStep", () => {
  const yaml = `workflowId: w
startAt: a
steps:
  a: { type: control, target: { subtype: choice }, transitions: [{ nextStep: nowhere }] }
`;
  assert.throws(() => loadWorkflow(FILE, yaml), (err: unknown) => {
    assert.ok(err instanceof KilnError);
    assert.equal(err.code, "VALIDATION_ERROR");
    assert.match(err.message, /workflows\/w\.yaml, step "a", field "transitions\[0\]\.nextStep"/);
    assert.match(err.message, /unknown step "nowhere"/);
    return true;
  });
});

Deno.test("checkWorkflow() finds unreachable steps and paths that never end", () => {
  const issues = issuesOf(`workflowId: w
startAt: a
steps:
  a: { type: control, target: { subtype: choice }, transitions: [{ condition: "trigger.x == 1", nextStep: b }, { nextStep: c }] }
  b: { type: control, target: { subtype: choice }, transitions: [{ nextStep: c }] }
  c: { type: control, target: { subtype: choice }, transitions: [{ nextStep: b }] }
  d: { type: control, target: { subtype: succeed } }
`);
  assert.ok(issues.some((i) => /^d -: step "d" is unreachable/.test(i)), issues.join("\n"));
  for (const id of ["a", "b", "c"]) {
    assert.ok(issues.some((i) => i.startsWith(`${id} -: no path from step "${id}" reaches`)), id);
  }
});

Deno.test("checkWorkflow() reports bad expressions and reads of unknown steps", () => {
  const issues = issuesOf(`workflowId: w
startAt: a
steps:
  a:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { x: "trigger.body ==", y: "steps.ghost.output.v" }
    end: true
`);
  assert.ok(
    issues.some((i) => /^a inputMapping\.x: invalid expression "trigger\.body =="/.test(i)),
  );
  assert.ok(issues.some((i) => /^a inputMapping\.y: .*steps\.ghost/.test(i)));
});

Deno.test("checkWorkflow() checks targets per type and subtype, nested graphs included", () => {
  const issues = issuesOf(`workflowId: w
startAt: a
steps:
  a: { type: mcp, target: {}, transitions: [{ nextStep: m }] }
  m:
    type: control
    target:
      subtype: map
      items: trigger.body.list
      iterator: { startAt: x, steps: { x: { type: control, target: { subtype: wait } } } }
    end: true
`);
  assert.ok(issues.some((i) => i.startsWith("a target.tool:")), issues.join("\n"));
  assert.ok(issues.some((i) => i.startsWith("m.iterator.x target.durationMs:")), issues.join("\n"));
  assert.ok(issues.some((i) => i.startsWith('m.iterator.x transitions: step "x" has no')));
});

Deno.test("checkWorkflow() reports YAML and model errors with their place", () => {
  assert.match(issuesOf("workflowId: w\nstartAt: a\nsteps: [1, 2\n")[0], /line \d/);
  const model = issuesOf(`workflowId: w\nstartAt: a\nsteps:\n  a: { type: rocket, end: true }\n`);
  assert.match(model[0], /^a type: /);
  const start = issuesOf(
    `workflowId: w\nstartAt: zz\nsteps:\n  a: { type: control, target: { subtype: succeed } }\n`,
  );
  assert.ok(
    start.some((i) => /startAt: startAt names unknown step "zz"/.test(i)),
    start.join("\n"),
  );
});

Deno.test("checkWorkflow() refuses unknown keys in control and mcp targets (likely typos)", () => {
  const issues = issuesOf(`workflowId: w
startAt: a
steps:
  a: { type: control, target: { subtype: wait, durationMs: 5, durationMS: 5 }, transitions: [{ nextStep: b }] }
  b: { type: mcp, target: { tool: core.x, sever: s }, end: true }
`);
  assert.ok(issues.some((i) => /^a target: .*durationMS/.test(i)), issues.join("\n"));
  assert.ok(issues.some((i) => /^b target: .*sever/.test(i)), issues.join("\n"));
});

Deno.test("workflowDefinitionIssues() names the step field of a bad target for the commit check", () => {
  const value = parse(`workflowId: w
startAt: a
steps:
  a: { type: control, target: { subtype: choice }, transitions: [{ nextStep: nowhere }] }
`) as Record<string, unknown>;
  const issues = workflowDefinitionIssues(FILE, value);
  assert.equal(issues.length, 2, JSON.stringify(issues));
  assert.ok(issues.every((i) => i.path === FILE));
  assert.equal(issues[0].field, "steps.a.transitions[0].nextStep");
  assert.match(issues[0].message, /unknown step "nowhere"/);
  assert.equal(issues[1].field, "steps.a");
  const ok = parse(
    "workflowId: w\nstartAt: d\nsteps:\n  d: { type: control, target: { subtype: succeed } }\n",
  );
  assert.deepEqual(workflowDefinitionIssues(FILE, ok as Record<string, unknown>), []);
});

Deno.test("an inline llm prompt or a target missing its keys is refused with the reason", () => {
  const issuesOf = (type: string, target: string) =>
    workflowDefinitionIssues(
      FILE,
      parse(
        `workflowId: w\nstartAt: s\nsteps:\n  s: { type: ${type}, end: true, target: ${target} }\n`,
      ),
    );
  const inline = issuesOf("llm", "{ prompt: 'Say hi' }");
  assert.equal(inline.length, 1, JSON.stringify(inline));
  assert.equal(inline[0].field, "steps.s.target.prompt");
  assert.match(inline[0].message, /an inline prompt is not supported: put it in prompts/);
  const half = issuesOf("jit", "{ script: code/a.ts }");
  assert.match(
    half[0].message,
    /expected componentId, or script and function .*found the keys "script"/,
  );
  assert.deepEqual(issuesOf("llm", "{ promptTemplate: classify }"), []);
});
