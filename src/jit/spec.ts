import { canonicalJson } from "../llm/mod.ts";
import type { GenerationConfig, PromptTemplate } from "../models/mod.ts";
import type { GateCase } from "./gate.ts";
import type { Sample } from "./sample_store.ts";
import { strataOf } from "./strata.ts";

/** What the coder is told and what the candidate is judged on (committed as `spec.json`). */
export interface JitSpec {
  appId: string;
  componentId: string;
  version: string;
  createdAt: string;
  prompt: {
    name: string;
    description?: string;
    system?: string;
    template: string;
    outputFormat: PromptTemplate["outputFormat"];
    outputSchema?: unknown;
  };
  inputSchema?: unknown;
  outputSchema?: unknown;
  /** Pairs shown to the coder, oldest recorded traffic. */
  examples: GateCase[];
  slices: {
    examples: number;
    gate: number;
    hidden: number;
    /** Sample ids of the two judged slices, so a report can be reproduced. */
    gateSampleIds: string[];
    hiddenSampleIds: string[];
    recordedFrom: string;
    recordedTo: string;
  };
}

/** The three time-ordered slices of a component's recorded traffic. */
export interface SplitSamples {
  examples: Sample[];
  gate: Sample[];
  hidden: Sample[];
}

/**
 * Splits recorded pairs in time order — oldest to the coder, then the gate slice, newest hidden —
 * so the candidate is judged on traffic that came after anything it saw, like the live traffic
 * it will serve. The split is stratified (by output class, else input shape; see `strataOf`):
 * each group is split in its own time order, so a class that is 4% of traffic is in every
 * slice in its share rather than wherever time happened to put it. Failed calls (no output) are
 * left out.
 */
export function splitSamples(samples: readonly Sample[], config: GenerationConfig): SplitSamples {
  const usable = [...samples].filter((s) => s.output !== undefined && s.output !== null)
    .sort((a, b) => a.sampleId < b.sampleId ? -1 : 1);
  const strata = strataOf(usable);
  const byGroup = new Map<string, Sample[]>();
  for (const s of usable) {
    const k = strata.of(s);
    byGroup.set(k, [...byGroup.get(k) ?? [], s]);
  }
  const out: SplitSamples = { examples: [], gate: [], hidden: [] };
  for (const group of byGroup.values()) {
    const m = group.length;
    // Rounded cumulative cuts keep each slice at its share overall; a group of one shows the
    // coder its only example.
    const e = Math.max(1, Math.round(m * config.examplesShare));
    const g = Math.max(e, Math.round(m * (config.examplesShare + config.gateShare)));
    out.examples.push(...group.slice(0, e));
    out.gate.push(...group.slice(e, g));
    out.hidden.push(...group.slice(g));
  }
  const byTime = (a: Sample, b: Sample) => a.sampleId < b.sampleId ? -1 : 1;
  out.examples.sort(byTime);
  out.gate.sort(byTime);
  out.hidden.sort(byTime);
  return out;
}

/** Distinct example pairs for the prompt, spread over the examples slice, at most `max`. */
export function pickExamples(examples: readonly Sample[], max: number): GateCase[] {
  const seen = new Set<string>();
  const distinct = examples.filter((s) => {
    const k = JSON.stringify(s.input);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const step = Math.max(1, distinct.length / max);
  const out: GateCase[] = [];
  for (let i = 0; i < distinct.length && out.length < max; i += step) {
    const s = distinct[Math.floor(i)];
    out.push({ input: s.input, output: s.output });
  }
  return out;
}

/** An input as a key: canonical JSON, text trimmed (how repeats are recognised). */
export function inputKey(input: unknown): string {
  return typeof input === "string" ? JSON.stringify(input.trim()) : canonicalJson(input);
}

/**
 * Pairs as gate cases, one per distinct input (its first recording), leaving out inputs in
 * `shown` (the coder's examples, which it may simply have memorised): generated code is a pure
 * function, so a repeated input is the same evidence again, not more of it.
 */
export function cases(samples: readonly Sample[], shown: readonly Sample[] = []): GateCase[] {
  const seen = new Set(shown.map((s) => inputKey(s.input)));
  return samples.flatMap((s) => {
    const k = inputKey(s.input);
    if (seen.has(k)) return [];
    seen.add(k);
    return [{ input: s.input, output: s.output }];
  });
}
