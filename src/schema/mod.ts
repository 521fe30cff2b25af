/**
 * The schema engine: compiles apps' JSON Schemas (output checks, definition checks, and any
 * component `inputSchema`/`outputSchema`) per app and revision, with linear-time patterns and
 * compile-time size limits.
 */
export { schemaIssues, validatorFor } from "./validator.ts";
export { bundleSchema } from "./bundle.ts";
export type { SchemaFileReader } from "./bundle.ts";
export type { JsonSchema, SchemaCheck, SchemaIssue, SchemaValidator } from "./validator.ts";
