import { KilnError } from "../core/mod.ts";
import type { ExecuteResponse } from "../models/mod.ts";
import type { ExecutionJob, TierName } from "../sandbox/mod.ts";
import { bundleEsm, esmToIife } from "../bundler/mod.ts";
import { sha256 } from "./_hash.ts";
import { sameOutput, share, wilsonLowerBound } from "./agreement.ts";

/** What the gate runs generated code on: the wasm tier, through the sandbox manager. */
export interface GateSandbox {
  execute(tier: TierName, job: ExecutionJob): Promise<ExecuteResponse>;
}

/** A recorded call the handler must reproduce. */
export interface GateCase {
  input: unknown;
  output: unknown;
}

/** One slice's agreement with the recorded answers. */
export interface SliceResult {
  total: number;
  agreed: number;
  agreement: number;
  lowerBound: number;
  mismatches: { input: unknown; expected: unknown; actual: unknown; error?: string }[];
}

/** The outcome of running a candidate's own tests and the held-out slices. */
export interface GateRun {
  tests: { total: number; passed: number; failures: { name: string; message: string }[] };
  gate: SliceResult;
  hidden: SliceResult;
  /** Share of the gate slice the most common recorded answer covers: what a constant scores. */
  baseline: number;
  /** Whether the handler gave one answer to every gate input. */
  constant: boolean;
  /** Runs the sandbox ended (timeout, memory, crash), with the reason it gave. */
  sandboxFailures: string[];
  /** Per gate and per hidden case, in order: whether the code reproduced the recorded answer. */
  gateAgreed: boolean[];
  hiddenAgreed: boolean[];
  /** Per gate and per hidden case: whether the code threw instead of answering. */
  gateThrew: boolean[];
  hiddenThrew: boolean[];
}

/** Generated sources, by their paths under `state/`. */
export interface CandidateFiles {
  dir: string;
  handler: string;
  tests: string;
}

const GATE_ENTRY = "__kilnGate";
/**
 * Failures of Kiln rather than of the candidate (a busy or stopping tier): the generation fails
 * and can be retried, instead of a candidate being judged on a run it never got.
 */
const KILN_NOT_CANDIDATE = new Set(["OVERLOADED", "TIER_UNAVAILABLE"]);
const MAX_MISMATCHES = 20;

/**
 * Runs a candidate in the wasm tier — its own tests first, then the gate and hidden slices in one
 * batch execution each — and compares its answers with the recorded ones on the host, so the
 * generated code never sees the expected values and cannot vouch for itself.
 */
export async function runGate(
  sandbox: GateSandbox,
  files: CandidateFiles,
  slices: { gate: GateCase[]; hidden: GateCase[] },
  opts: { appId: string; componentId: string; timeoutMs: number; memoryMb?: number },
): Promise<GateRun> {
  const code = await buildGateCode(files);
  const sandboxFailures: string[] = [];
  // A candidate that hangs, exhausts memory or crashes is judged, not an error of the gate:
  // each of its answers in that run counts as that failure.
  const run = async (input: unknown, n: number): Promise<Outcome[]> => {
    try {
      const response = await sandbox.execute("wasm", gateJob(code, input, opts));
      if (response.resultType !== "error") return response.data as Outcome[];
      const e = response.data as { code?: string; message?: string };
      if (e.code && KILN_NOT_CANDIDATE.has(e.code)) {
        throw new KilnError(
          e.code as "OVERLOADED" | "TIER_UNAVAILABLE",
          e.message ?? "the wasm tier failed",
        );
      }
      sandboxFailures.push(`${e.code ?? "error"}: ${e.message ?? ""}`);
    } catch (err) {
      if (!(err instanceof KilnError) || KILN_NOT_CANDIDATE.has(err.code)) throw err;
      sandboxFailures.push(`${err.code}: ${err.message}`);
    }
    return Array.from({ length: n }, () => ({ error: sandboxFailures.at(-1)! }));
  };
  const caseOut = await run(
    { mode: "tests" },
    0,
  ) as (Outcome & { name: string; expected: unknown })[];
  const testsCrashed = sandboxFailures.length > 0;
  const failures = testsCrashed
    ? [{ name: "(every test)", message: sandboxFailures[0] }]
    : caseOut.flatMap((c) =>
      "error" in c
        ? [{ name: c.name, message: `threw: ${c.error}` }]
        : sameOutput(c.expected, c.actual)
        ? []
        : [{ name: c.name, message: `expected ${short(c.expected)}, got ${short(c.actual)}` }]
    );
  const testsTotal = testsCrashed ? 1 : caseOut.length;
  const gateOut = await run(
    { mode: "batch", inputs: slices.gate.map((c) => c.input) },
    slices.gate.length,
  );
  const hiddenOut = await run(
    { mode: "batch", inputs: slices.hidden.map((c) => c.input) },
    slices.hidden.length,
  );
  const gate = compare(slices.gate, gateOut);
  const agreedEach = (cs: GateCase[], out: Outcome[]) =>
    cs.map((c, i) => {
      const o = out[i];
      return !!o && "actual" in o && sameOutput(c.output, o.actual);
    });
  const gateAgreed = agreedEach(slices.gate, gateOut);
  const actuals = new Set(
    gateOut.map((o) => "error" in o ? `!${o.error}` : JSON.stringify(o.actual)),
  );
  return {
    tests: { total: testsTotal, passed: testsTotal - failures.length, failures },
    gate,
    hidden: compare(slices.hidden, hiddenOut),
    baseline: mostCommonShare(slices.gate.map((c) => c.output)),
    constant: slices.gate.length > 1 && actuals.size === 1,
    sandboxFailures,
    gateAgreed,
    hiddenAgreed: agreedEach(slices.hidden, hiddenOut),
    gateThrew: gateOut.map((o) => !o || "error" in o),
    hiddenThrew: hiddenOut.map((o) => !o || "error" in o),
  };
}

type Outcome = { actual: unknown } | { error: string };

function compare(cases: GateCase[], outcomes: Outcome[]): SliceResult {
  let agreed = 0;
  const mismatches: SliceResult["mismatches"] = [];
  cases.forEach((c, i) => {
    const o = outcomes[i];
    if (o && "actual" in o && sameOutput(c.output, o.actual)) return void agreed++;
    if (mismatches.length >= MAX_MISMATCHES) return;
    mismatches.push({
      input: c.input,
      expected: c.output,
      actual: o && "actual" in o ? o.actual : null,
      ...(o && "error" in o ? { error: o.error } : {}),
    });
  });
  const total = cases.length;
  return {
    total,
    agreed,
    agreement: total ? share(agreed / total) : 0,
    lowerBound: share(wilsonLowerBound(agreed, total)),
    mismatches,
  };
}

function mostCommonShare(outputs: unknown[]): number {
  const counts = new Map<string, number>();
  for (const o of outputs) {
    const k = typeof o === "string" ? o.trim() : JSON.stringify(o);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return outputs.length ? share(Math.max(...counts.values()) / outputs.length) : 0;
}

/** Bundles handler + tests + the batch driver into one QuickJS script. */
async function buildGateCode(files: CandidateFiles) {
  const entry = `${files.dir}/__gate.ts`;
  const sources = new Map([
    [`${files.dir}/handler.ts`, files.handler],
    [`${files.dir}/handler_test.ts`, files.tests],
    [entry, GATE_DRIVER],
  ]);
  const esm = await bundleEsm(entry, (path) => Promise.resolve(sources.get(path) ?? null));
  const source = await esmToIife(entry, esm.source);
  return {
    kind: "javascript" as const,
    format: "iife" as const,
    source,
    entry: GATE_ENTRY,
    hash: sha256(`gate\0${source}`),
  };
}

function gateJob(
  code: Awaited<ReturnType<typeof buildGateCode>>,
  input: unknown,
  opts: { appId: string; componentId: string; timeoutMs: number; memoryMb?: number },
): ExecutionJob {
  const requestId = crypto.randomUUID();
  return {
    request: {
      requestId,
      requestData: { source: "internal", input },
      context: {
        appId: opts.appId,
        componentId: opts.componentId,
        mcp_endpoint: "",
        mcp_token: "",
        deadline: new Date(Date.now() + opts.timeoutMs).toISOString(),
        configuration: {},
        applicationInfo: { appId: opts.appId, displayName: "", version: "", revision: "" },
      },
      taskDetails: {},
    },
    code,
    limits: { timeoutMs: opts.timeoutMs, memoryMb: opts.memoryMb ?? 128, maxOutputBytes: 8 << 20 },
    host: {
      callTool: (tool) =>
        Promise.reject(
          new KilnError("FORBIDDEN", `generated code may not call tools (it called "${tool}")`),
        ),
      log: () => {},
    },
  };
}

function short(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Runs inside the sandbox: the candidate's cases, or the handler over a batch of inputs. */
const GATE_DRIVER = `
import * as handler from "./handler.ts";
import * as tests from "./handler_test.ts";

async function attempt(input) {
  try {
    if (typeof handler.handle !== "function") throw new Error("handler.ts exports no function handle");
    return { actual: await handler.handle(input === undefined ? undefined : JSON.parse(JSON.stringify(input))) };
  } catch (err) {
    return { error: String((err && err.message) || err).slice(0, 500) };
  }
}

export async function ${GATE_ENTRY}(requestData) {
  const job = requestData.input;
  if (job.mode === "tests") {
    const cases = Array.isArray(tests.cases) ? tests.cases.slice(0, 500) : [];
    const out = [];
    for (const c of cases) out.push({ name: String(c.name), expected: c.expected, ...(await attempt(c.input)) });
    return out;
  }
  const out = [];
  for (const input of job.inputs) out.push(await attempt(input));
  return out;
}
`;
