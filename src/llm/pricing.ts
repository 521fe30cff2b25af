import type { TokenUsage } from "./types.ts";

/** What one model costs, in US dollars per million tokens. */
export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
}

/**
 * Prices by wire model name. A key ending in `*` matches by prefix (`gpt-4o-mini*` covers dated
 * snapshots); the longest match wins. Prices change, so they live in configuration, not code.
 */
export type PriceTable = Record<string, ModelPrice>;

/** The price of `model`, or null when the table does not know it. */
export function priceOf(table: PriceTable, model: string): ModelPrice | null {
  if (Object.hasOwn(table, model)) return table[model];
  let best: [number, ModelPrice] | null = null;
  for (const [key, price] of Object.entries(table)) {
    if (!key.endsWith("*")) continue;
    const prefix = key.slice(0, -1);
    if (model.startsWith(prefix) && (!best || prefix.length > best[0])) {
      best = [prefix.length, price];
    }
  }
  return best?.[1] ?? null;
}

/** The cost of one call; an unpriced model costs 0 (the caller logs that it is unpriced). */
export function costUsd(price: ModelPrice | null, usage: TokenUsage): number {
  if (!price) return 0;
  const cost = (usage.promptTokens * price.inputPerMTok +
    usage.completionTokens * price.outputPerMTok) / 1_000_000;
  return Math.round(cost * 1e9) / 1e9;
}
