// No imports: the admin panel's browser bundle lists the same names from this file.

/**
 * Permission names an app key may hold. `*` grants all of them; `definitions:*` grants every
 * `definitions:` permission.
 */
export const APP_PERMISSIONS = [
  "app:read",
  "definitions:read",
  "definitions:write",
  "runtime:read",
  "runtime:write",
  "invoke",
  "log:write",
  "llm:generate",
  "linux:execute",
  "filesystem:read",
  "filesystem:write",
  "metrics:read",
  "metrics:write",
  "jit:read",
  "jit:write",
] as const;
