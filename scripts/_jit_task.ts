/** What one JIT benchmark task is made of, before the generator turns it into a fixture file. */
import type { Rng } from "./_jit_rng.ts";

/** One case of the tests a coder model "wrote" next to its handler. */
export interface TestCase {
  name: string;
  input: unknown;
  expected: unknown;
}

/** A handler with a deliberate, realistic bug; `note` says what it gets wrong. */
export interface WrongHandler {
  label: `wrong-${string}`;
  note: string;
  source: string;
}

export interface TaskDef {
  taskId: string;
  kind: "formatting" | "extraction" | "classification" | "routing";
  /** True when a correct handler reproduces every recorded output. */
  deterministic: boolean;
  description: string;
  prompt: {
    description: string;
    template: string;
    outputFormat: "json" | "text";
    outputSchema?: Record<string, unknown>;
  };
  inputSchema: Record<string, unknown>;
  calls: number;
  medianLatencyMs: number;
  /** One recorded call's input and the reference output, drawn from the task's own stream. */
  sample(rng: Rng): { input: Record<string, unknown>; output: unknown };
  /** For a non-deterministic task: what an inconsistent model answered instead of `output`. */
  noisy?(output: unknown, rng: Rng): unknown;
  /** Share of calls whose output is replaced by `noisy` (spread one per equal block of calls). */
  noiseRate?: number;
  /**
   * Share of calls that ask again about an input recorded among the previous 100 calls, as real
   * traffic does; the model answers each such call afresh (noise included).
   */
  repeatShare?: number;
  /** JS-subset TypeScript source of the correct handler (`export function handle(input)`). */
  correct: string;
  /** Hand-written expectations for the correct handler. */
  correctTests: TestCase[];
  wrong: WrongHandler[];
}
