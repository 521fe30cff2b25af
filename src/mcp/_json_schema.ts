import { z } from "zod";

type Json = Record<string, unknown>;

/**
 * A tool's input or output JSON Schema as MCP lists it: an object at the top (MCP requires it),
 * no `$schema` (2020-12 is MCP's default, and validators of other drafts choke on the URI).
 */
export function toolJsonSchema(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _, ...json } = z.toJSONSchema(schema, {
    io,
    target: "draft-2020-12",
    override(ctx) {
      const node = ctx.jsonSchema as Json;
      if (node.maximum === Number.MAX_SAFE_INTEGER) delete node.maximum;
      if (node.minimum === Number.MIN_SAFE_INTEGER) delete node.minimum;
      if (JSON.stringify(node.propertyNames) === '{"type":"string"}') delete node.propertyNames;
    },
  }) as Json;
  return asObjectSchema(json);
}

/** Puts `type: "object"` at the top of a schema; a schema of another type is a tool bug. */
export function asObjectSchema(json: Json): Json {
  if (json.type === undefined) return { type: "object", ...json };
  if (json.type !== "object") {
    throw new Error(`a tool schema must describe an object, not ${JSON.stringify(json.type)}`);
  }
  return json;
}
