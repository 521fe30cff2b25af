/** Where a configuration value was found: the most specific level wins. */
export type ConfigSource = "component" | "app" | "global";

/** A value at a dotted path (`llm.model`) of a configuration object. */
export function lookupPath(config: unknown, key: string): { found: boolean; value?: unknown } {
  if (config && typeof config === "object" && Object.hasOwn(config, key)) {
    return { found: true, value: (config as Record<string, unknown>)[key] };
  }
  let node: unknown = config;
  for (const part of key.split(".")) {
    if (!node || typeof node !== "object" || !Object.hasOwn(node, part)) return { found: false };
    node = (node as Record<string, unknown>)[part];
  }
  return { found: true, value: node };
}

/** Component over app over global (contract §4). */
export function resolveConfig(
  key: string,
  levels: [ConfigSource, unknown][],
): { found: boolean; value?: unknown; source?: ConfigSource } {
  for (const [source, config] of levels) {
    const hit = lookupPath(config, key);
    if (hit.found) return { ...hit, source };
  }
  return { found: false };
}
