import { MetricCollector, type MetricRetention } from "./collector.ts";

/** A settable clock starting at 2026-12-01T00:00:00Z. */
export class FakeClock {
  t = Date.UTC(2026, 11, 1);
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A collector on a throwaway file (no timer) with a fake clock; `reopen` keeps the file. */
export function testCollector(retention?: MetricRetention, path?: string) {
  const dir = path ? undefined : Deno.makeTempDirSync({ prefix: "kiln-metrics-" });
  const file = path ?? `${dir}/metrics.db`;
  const clock = new FakeClock();
  const m = MetricCollector.open({ path: file, clock, flushIntervalMs: 0, retention });
  return {
    m,
    clock,
    file,
    [Symbol.dispose]() {
      m.close();
      if (dir) Deno.removeSync(dir, { recursive: true });
    },
  };
}

export const MIN = 60_000;
export const HOUR = 3_600_000;
