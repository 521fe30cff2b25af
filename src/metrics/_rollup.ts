import type { DatabaseSync, StatementSync } from "node:sqlite";
import { type Aggregate, fromRow, mergeInto } from "./_aggregate.ts";
import type { PointRow } from "./_schema.ts";
import type { MetricKind } from "./types.ts";

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
/** Minute rows are folded a few hours at a time, so a long-stopped node does not load them all. */
const WINDOW = 6 * HOUR;

type Merge = (id: number, res: number, t: number, kind: MetricKind, agg: Aggregate) => void;

/**
 * The bounded-disk half of the metric store (ADR 0010): minute rows past their retention fold
 * into hour rows, hour rows past theirs are deleted, the oldest rows beyond the row cap go, and
 * series left without rows are forgotten. Runs inside the store's transaction.
 */
export class Rollup {
  readonly #q: Record<string, StatementSync>;

  constructor(db: DatabaseSync, readonly merge: Merge) {
    const p = (sql: string) => db.prepare(sql);
    this.#q = {
      oldest: p(`SELECT min(t) AS t FROM points WHERE res = ${MINUTE} AND t < ?`),
      minutes: p(`SELECT p.*, s.kind FROM points p JOIN series s ON s.id = p.series_id
         WHERE p.res = ${MINUTE} AND p.t >= ? AND p.t < ?`),
      dropMinutes: p(`DELETE FROM points WHERE res = ${MINUTE} AND t >= ? AND t < ?`),
      dropHours: p(`DELETE FROM points WHERE res = ${HOUR} AND t < ?`),
      countRows: p("SELECT count(*) AS n FROM points"),
      dropOldest: p(`DELETE FROM points WHERE (series_id, res, t) IN
         (SELECT series_id, res, t FROM points ORDER BY t LIMIT ?)`),
      pruneSeries: p("DELETE FROM series WHERE id NOT IN (SELECT DISTINCT series_id FROM points)"),
    };
  }

  /** Answers how many rows the cap dropped and whether any series was forgotten. */
  run(minuteCutoff: number, hourCutoff: number, maxRows: number) {
    const oldest = (this.#q.oldest.get(minuteCutoff) as { t: number | null }).t;
    if (oldest !== null) {
      for (let from = oldest; from < minuteCutoff; from += WINDOW) {
        this.#fold(from, Math.min(from + WINDOW, minuteCutoff));
      }
    }
    this.#q.dropHours.run(hourCutoff);
    const { n } = this.#q.countRows.get() as { n: number };
    const dropped = Math.max(0, n - maxRows);
    if (dropped > 0) this.#q.dropOldest.run(dropped);
    const pruned = Number(this.#q.pruneSeries.run().changes) > 0;
    return { dropped, pruned };
  }

  #fold(from: number, to: number): void {
    const rows = this.#q.minutes.all(from, to) as unknown as (PointRow & { kind: MetricKind })[];
    const hours = new Map<string, { id: number; t: number; kind: MetricKind; agg: Aggregate }>();
    for (const row of rows) {
      const t = row.t - (row.t % HOUR);
      const key = `${row.series_id}:${t}`;
      const agg = fromRow(row, row.kind);
      const hit = hours.get(key);
      if (hit) mergeInto(hit.agg, agg);
      else hours.set(key, { id: row.series_id, t, kind: row.kind, agg });
    }
    for (const h of hours.values()) this.merge(h.id, HOUR, h.t, h.kind, h.agg);
    this.#q.dropMinutes.run(from, to);
  }
}
