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

/** Families with a `family:*` wildcard: the part before `:` of every permission that has one. */
const FAMILIES = new Set(
  APP_PERMISSIONS.filter((p) => p.includes(":")).map((p) => p.split(":")[0]),
);
const KNOWN = new Set<string>(APP_PERMISSIONS);

/**
 * Whether an app key may hold `name`: a listed permission, `*`, or `family:*` for a family
 * that exists. Anything else would be granted nothing and only mislead whoever reads the key.
 */
export function isAppPermission(name: string): boolean {
  if (name === "*" || KNOWN.has(name)) return true;
  return name.endsWith(":*") && FAMILIES.has(name.slice(0, -2));
}
