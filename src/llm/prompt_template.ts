import type { PromptTemplate } from "../models/mod.ts";

/** How the model is told to shape a yaml or xml answer (json is the gateway's business). */
export function formatHint(format: PromptTemplate["outputFormat"]): string | null {
  if (format === "yaml") return "Answer with a YAML document only: no prose, no code fence.";
  if (format === "xml") return "Answer with one XML document only: no prose, no code fence.";
  return null;
}
