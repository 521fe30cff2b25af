/**
 * The schema engine: compiles apps' JSON Schemas (output checks, definition checks, and
 * components' `inputSchema`/`outputSchema`, bundled with the schema files they `$ref`) per app
 * and revision, with linear-time patterns and compile-time size limits.
 */
export { schemaIssues, validatorFor } from "./validator.ts";
export { bundleSchema } from "./bundle.ts";
export { loadSchemaEngine } from "./_ajv.ts";
export type { JsonSchema, SchemaValidator } from "./validator.ts";
