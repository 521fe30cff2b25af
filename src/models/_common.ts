import { z } from "zod";

/** App ids double as repo names, URL segments and MCP tool-name parts, so they stay plain. */
export const AppId = z.string().regex(
  /^[a-z][a-z0-9-]{0,62}$/,
  "appId must be 1-63 chars of a-z, 0-9 and '-', starting with a letter",
);

/** Component ids appear in MCP tool names (`app.<appId>.<componentId>`) and URLs. */
export const ComponentId = z.string().regex(
  /^[A-Za-z][A-Za-z0-9_-]{0,63}$/,
  "componentId must be 1-64 chars of letters, digits, '_' and '-', starting with a letter",
);

/** Free-form configuration: JSON values keyed by name. */
export const Configuration = z.record(z.string(), z.unknown());

/** A JSON Schema given inline, or a path (relative to `state/`) to a `schemas/*.schema.json`. */
export const SchemaRef = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);
