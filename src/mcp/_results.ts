import type { KilnError } from "../core/mod.ts";
import type { ToolCallResult } from "./tool.ts";

/** The error a failed call reports, as JSON in its text content. */
export interface ToolErrorContent {
  code: string;
  message: string;
  details?: unknown;
}

/**
 * A successful result: the structured output and the same as text for text-only clients. The
 * structured copy is re-read from the text, so in-process callers get exactly what the wire
 * carries (no `undefined` members, no shared references into Kiln's own state).
 */
export function okResult(structured: Record<string, unknown>): ToolCallResult {
  const text = JSON.stringify(structured);
  return { content: [{ type: "text", text }], structuredContent: JSON.parse(text) };
}

/**
 * A business failure (`isError`), as Kiln's error envelope `{error: {code, message, details}}` in
 * text only: MCP clients (the official SDK among them) validate any `structuredContent` against
 * the tool's output schema, error results included, so an error object there would fail it.
 */
export function errorResult(err: KilnError): ToolCallResult {
  return { content: [{ type: "text", text: JSON.stringify(err.toJSON()) }], isError: true };
}

/** The error of an `isError` result, for in-process callers; null for a success. */
export function toolError(result: ToolCallResult): ToolErrorContent | null {
  if (!result.isError) return null;
  const text = result.content.find((c) => c.type === "text")?.text ?? "";
  try {
    const error = JSON.parse(text)?.error;
    if (error && typeof error.code === "string" && typeof error.message === "string") {
      return error as ToolErrorContent;
    }
  } catch {
    // not Kiln's envelope: report the text as it is
  }
  return { code: "INTERNAL", message: text };
}
