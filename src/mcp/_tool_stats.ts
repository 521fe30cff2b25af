/** How a tool call ended, as logged and counted. */
export type ToolOutcome = "ok" | "error" | "forbidden" | "invalid";

/** Calls of one tool on one app with one outcome, for the metric collector. */
export interface ToolStat {
  tool: string;
  appId: string | null;
  outcome: ToolOutcome;
  count: number;
  totalDurationMs: number;
}

/** Counters per (tool, appId, outcome); cheap enough to update on every call. */
export class ToolStats {
  readonly #rows = new Map<string, ToolStat>();

  record(tool: string, appId: string | undefined, outcome: ToolOutcome, durationMs: number): void {
    const key = JSON.stringify([tool, appId ?? null, outcome]);
    let row = this.#rows.get(key);
    if (!row) {
      row = { tool, appId: appId ?? null, outcome, count: 0, totalDurationMs: 0 };
      this.#rows.set(key, row);
    }
    row.count++;
    row.totalDurationMs += durationMs;
  }

  /** A copy of every counter, sorted by tool, app and outcome. */
  snapshot(): ToolStat[] {
    return [...this.#rows.values()].map((r) => ({ ...r })).sort((a, b) =>
      a.tool.localeCompare(b.tool) || (a.appId ?? "").localeCompare(b.appId ?? "") ||
      a.outcome.localeCompare(b.outcome)
    );
  }
}
