import type { Generation } from "./types.ts";

/** Totals for one (app, profile, provenance). */
export interface UsageStat {
  appId: string;
  profile: string;
  provenance: "live" | "recording";
  calls: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

/**
 * LLM usage and cost per app, kept apart for live and replayed calls so recordings never count
 * as spend. The metric collector reads `snapshot()`.
 */
export class UsageMeter {
  readonly #stats = new Map<string, UsageStat>();

  record(appId: string, profile: string, gen: Generation): void {
    const provenance = gen.provenance.kind;
    const key = `${appId}\0${profile}\0${provenance}`;
    let stat = this.#stats.get(key);
    if (!stat) {
      stat = {
        appId,
        profile,
        provenance,
        calls: 0,
        promptTokens: 0,
        completionTokens: 0,
        costUsd: 0,
      };
      this.#stats.set(key, stat);
    }
    stat.calls++;
    stat.promptTokens += gen.usage.promptTokens;
    stat.completionTokens += gen.usage.completionTokens;
    stat.costUsd = Math.round((stat.costUsd + gen.usage.costUsd) * 1e9) / 1e9;
  }

  snapshot(): UsageStat[] {
    return [...this.#stats.values()].map((s) => ({ ...s }));
  }
}
