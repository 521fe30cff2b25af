import { parse as parseYaml } from "yaml";
import { KilnError, quote } from "../core/mod.ts";
import type { PromptTemplate } from "../models/mod.ts";
import { checkValue, type SchemaScope, stripFence } from "./structured_output.ts";

/**
 * Turns a completion into the component's result per the template's `outputFormat`: `json`
 * (already parsed and checked by the gateway), `yaml` (parsed here), `text` and `xml` (the text,
 * fence removed; xml must look like one element). With a schema, the result must satisfy it —
 * failing is LLM_OUTPUT_INVALID quoting the answer.
 */
export function parseOutput(
  format: PromptTemplate["outputFormat"],
  completion: unknown,
  schema?: Record<string, unknown>,
  scope: SchemaScope = { appId: "", revision: "" },
): unknown {
  let value = completion;
  if (format === "yaml" || format === "xml" || format === "text") {
    const text = typeof completion === "string" ? completion : JSON.stringify(completion);
    if (format === "yaml") {
      try {
        value = parseYaml(stripFence(text), { maxAliasCount: 100 });
      } catch (err) {
        throw invalid(text, `not YAML: ${(err as Error).message.split("\n")[0]}`);
      }
    } else if (format === "xml") {
      value = stripFence(text);
      if (!/^<[\s\S]*>$/.test(value as string)) throw invalid(text, "not an XML document");
    }
  }
  if (schema) {
    const check = checkValue(value, schema, scope);
    if (!check.ok) {
      const first = check.issues[0];
      throw invalid(
        typeof completion === "string" ? completion : JSON.stringify(completion),
        `${first.path} ${first.message}`,
        check.issues,
      );
    }
  }
  return value;
}

function invalid(answer: string, why: string, issues?: unknown): KilnError {
  return new KilnError(
    "LLM_OUTPUT_INVALID",
    `the model's answer ${quote(answer, 160)} does not satisfy the output format: ${why}`,
    { answer: answer.slice(0, 4000), ...(issues ? { issues } : {}) },
  );
}
