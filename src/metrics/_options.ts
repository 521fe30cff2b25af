import type { Clock, Logger } from "../core/mod.ts";
import { HOUR } from "./_store.ts";
import type { MetricSink } from "./types.ts";

/** How long and how much the collector keeps; every bound is configurable. */
export interface MetricRetention {
  /** Minute rows older than this are folded into hour rows (default 48 h). */
  minuteMs?: number;
  /** Hour rows older than this are deleted (default 30 days). */
  hourMs?: number;
  /** Most stored rows; the oldest beyond it are deleted (default 1 000 000). */
  maxRows?: number;
  /** Most distinct series held in memory; points of new ones beyond it are dropped (default 10 000). */
  maxSeries?: number;
}

export interface MetricCollectorOptions {
  /** The SQLite file, e.g. `<dataDir>/metrics.db`; `":memory:"` for a throwaway one. */
  path: string;
  clock?: Clock;
  /** How often memory is written to SQLite (default 10 s); 0 = only on `flush()` and `close()`. */
  flushIntervalMs?: number;
  retention?: MetricRetention;
  logger?: Logger;
  /** The flush timer; default the global one, unref'd so it never keeps the process alive. */
  timers?: FlushTimers;
  /** A cluster node's id: the `node` label of the Prometheus exposition. */
  node?: string;
  /**
   * Sets the gauges measured live (open sandboxes per tier) through `sink.gauge`; called at each
   * Prometheus scrape and OTLP collection, so they are never stale.
   */
  readLive?: (sink: Pick<MetricSink, "gauge">) => void;
}

/** What the flush timer needs; `@sinonjs/fake-timers` clocks fit. */
export interface FlushTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(id: unknown): void;
}

export const systemTimers: FlushTimers = {
  setInterval(fn, ms) {
    const id = setInterval(fn, ms);
    Deno.unrefTimer(id);
    return id;
  },
  clearInterval: (id) => clearInterval(id as number),
};

/** The retention with every default filled in. */
export function retentionOf(r: MetricRetention = {}): Required<MetricRetention> {
  return {
    minuteMs: r.minuteMs ?? 48 * HOUR,
    hourMs: r.hourMs ?? 30 * 24 * HOUR,
    maxRows: r.maxRows ?? 1_000_000,
    maxSeries: r.maxSeries ?? 10_000,
  };
}
