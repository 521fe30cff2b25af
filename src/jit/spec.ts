import type { GenerationConfig, PromptTemplate } from "../models/mod.ts";
import type { GateCase } from "./gate.ts";
import type { Sample } from "./sample_store.ts";

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
 * it will serve. Failed calls (no output) are left out.
 */
export function splitSamples(samples: readonly Sample[], config: GenerationConfig): SplitSamples {
  const usable = [...samples].filter((s) => s.output !== undefined && s.output !== null)
    .sort((a, b) => a.sampleId < b.sampleId ? -1 : 1);
  const n = usable.length;
  const nExamples = Math.max(1, Math.floor(n * config.examplesShare));
  const nGate = Math.max(1, Math.floor(n * config.gateShare));
  return {
    examples: usable.slice(0, nExamples),
    gate: usable.slice(nExamples, nExamples + nGate),
    hidden: usable.slice(nExamples + nGate),
  };
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

/** Pairs as gate cases. */
export function cases(samples: readonly Sample[]): GateCase[] {
  return samples.map((s) => ({ input: s.input, output: s.output }));
}
