import { KilnError, quote } from "../core/mod.ts";
import type { ComponentDefinition } from "../models/mod.ts";
import { TIER_STRENGTH, type TierDriver, type TierName } from "../sandbox/mod.ts";

/** What chooseTier needs of the sandbox manager: each tier's driver, or why it cannot run. */
export interface TierLookup {
  driver(tier: TierName): { driver: TierDriver } | { unavailable: string };
}

/** The tier a component runs on and why; the reason is what `X-Kiln-Tier-Reason` carries. */
export interface TierDecision {
  tier: TierName;
  reason: string;
  accepts: TierDriver["accepts"];
}

type CodeKind = "javascript" | "wasmComponent" | "python";

/** The least isolation each trust level may get. */
export const TRUST_FLOOR: Record<ComponentDefinition["trust"], TierName> = {
  trusted: "isolate",
  low: "wasm",
  untrusted: "container",
};

/** Memory a tier can give one execution; `auto` skips tiers below a component's `memoryMb`. */
export const TIER_MEMORY_CEILING_MB: Record<TierName, number> = {
  isolate: 256,
  wasm: 256,
  container: Number.POSITIVE_INFINITY,
};

/** What each tier runs when it is not configured on this node (for a clear refusal). */
const NOMINAL_ACCEPTS: Record<TierName, TierDriver["accepts"]> = {
  isolate: { javascript: "esm" },
  wasm: { javascript: "iife", wasmComponent: true },
  container: { javascript: "esm", python: true },
};

const BY_STRENGTH = (Object.keys(TIER_STRENGTH) as TierName[])
  .sort((a, b) => TIER_STRENGTH[a] - TIER_STRENGTH[b]);

/**
 * Picks the tier for one execution of a jit component (ADR 0005) and says why. Isolation is never
 * lowered to serve a request:
 * - the floor is the trust level's (`trusted` → isolate, `low` → wasm, `untrusted` → container),
 *   raised to container for `memoryMb` above 256 and for components allowed `core.linux.*` tools;
 * - an explicit `runtime` is a pin: it is honoured if it is at or above the floor and can run the
 *   language, else refused; it never moves, even when its tier is down;
 * - `auto` takes the weakest tier at or above the floor that runs the language (python: container
 *   only; wasm: the wasm tier) and fits the memory limit; when that tier is down it moves up to the
 *   next stronger one that is up, and says so, but never down.
 * Throws TIER_UNAVAILABLE (503) when nothing allowed is up.
 */
export function chooseTier(component: ComponentDefinition, tiers: TierLookup): TierDecision {
  const kind = codeKind(component);
  const { floor, why } = floorOf(component);
  const refuse = (message: string, details: Record<string, unknown> = {}) =>
    new KilnError("TIER_UNAVAILABLE", message, {
      componentId: component.componentId,
      floor,
      ...details,
    });

  if (component.runtime !== "auto") {
    const tier = component.runtime;
    if (TIER_STRENGTH[tier] < TIER_STRENGTH[floor]) {
      throw refuse(
        `component ${quote(component.componentId)} pins runtime ${tier}, but ${why} needs at ` +
          `least ${floor}; Kiln never lowers isolation`,
        { tier },
      );
    }
    const found = tiers.driver(tier);
    const accepts = "driver" in found ? found.driver.accepts : NOMINAL_ACCEPTS[tier];
    if (!runs(accepts, kind)) {
      throw refuse(`the ${tier} tier cannot run ${languageOf(component)} code`, { tier });
    }
    if ("unavailable" in found) {
      throw refuse(`the ${tier} tier is unavailable: ${found.unavailable}`, { tier });
    }
    return { tier, reason: `runtime ${tier} pinned`, accepts };
  }

  const memoryMb = component.limits?.memoryMb ?? 0;
  const skipped: string[] = [];
  let preferred: TierName | undefined;
  for (const tier of BY_STRENGTH) {
    if (TIER_STRENGTH[tier] < TIER_STRENGTH[floor]) continue;
    const found = tiers.driver(tier);
    const accepts = "driver" in found ? found.driver.accepts : NOMINAL_ACCEPTS[tier];
    if (!runs(accepts, kind) || memoryMb > TIER_MEMORY_CEILING_MB[tier]) continue;
    preferred ??= tier;
    if ("unavailable" in found) {
      skipped.push(`${tier} unavailable (${found.unavailable})`);
      continue;
    }
    const language = preferred === floor ? "" : `, language ${languageOf(component)}`;
    const path = [...skipped, tier].join(" -> ");
    return { tier, reason: `auto: ${why}${language} -> ${path}`, accepts };
  }
  throw refuse(
    skipped.length
      ? `no tier at or above ${floor} (${why}) is up to run ${quote(component.componentId)}: ${
        skipped.join("; ")
      }`
      : `no tier at or above ${floor} (${why}) runs ${languageOf(component)} code` +
        (memoryMb ? ` with ${memoryMb} MB` : ""),
    { skipped },
  );
}

function floorOf(c: ComponentDefinition): { floor: TierName; why: string } {
  let floor = TRUST_FLOOR[c.trust];
  let why = `trust ${c.trust}`;
  const raise = (tier: TierName, because: string) => {
    if (TIER_STRENGTH[tier] > TIER_STRENGTH[floor]) [floor, why] = [tier, because];
  };
  const memoryMb = c.limits?.memoryMb ?? 0;
  if (memoryMb > TIER_MEMORY_CEILING_MB.wasm) raise("container", `memoryMb ${memoryMb}`);
  const linux = c.permissions.find((p) => p.startsWith("core.linux."));
  if (linux) raise("container", `permission ${linux}`);
  return { floor, why };
}

function languageOf(c: ComponentDefinition): string {
  const language = c.taskDetails.language;
  return typeof language === "string" ? language : c.handlerType;
}

function codeKind(c: ComponentDefinition): CodeKind {
  switch (languageOf(c)) {
    case "python":
      return "python";
    case "wasm":
      return "wasmComponent";
    default:
      return "javascript";
  }
}

function runs(accepts: TierDriver["accepts"], kind: CodeKind): boolean {
  return Boolean(accepts[kind]);
}
