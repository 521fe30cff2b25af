import type { DatabaseSync, StatementSync } from "node:sqlite";
import { sqliteTransaction, type Transaction } from "../core/sqlite/mod.ts";
import { type Aggregate, fromRow, mergeInto, toRow } from "./_aggregate.ts";
import { HOUR, MINUTE, Rollup } from "./_rollup.ts";
import { openMetricDb, type PointRow } from "./_schema.ts";
import type { MetricKind, MetricLabels } from "./types.ts";

export { HOUR, MINUTE };

/** One series' minute aggregate, as a flush writes it. */
export interface MinuteItem {
  key: string;
  name: string;
  kind: MetricKind;
  labels: MetricLabels;
  t: number;
  agg: Aggregate;
}

/** A stored series. */
export interface StoredSeries {
  id: number;
  key: string;
  kind: MetricKind;
  labels: MetricLabels;
}

/**
 * The metric file: one SQLite database (WAL) with a `series` table (name, kind, labels) and a
 * `points` table of per-minute and per-hour aggregates. Writes merge into an existing row, so
 * flushing the same minute twice, or folding minutes into an hour, loses nothing.
 */
export class MetricStore {
  readonly #db: DatabaseSync;
  readonly #ids = new Map<string, number>();
  readonly #q: Record<string, StatementSync>;
  readonly #rollup: Rollup;
  readonly #transaction: Transaction;

  private constructor(db: DatabaseSync) {
    this.#db = db;
    const p = (sql: string) => db.prepare(sql);
    this.#q = {
      seriesId: p("SELECT id FROM series WHERE key = ?"),
      addSeries: p(
        `INSERT INTO series (key, name, kind, labels, app_id, component_id)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
      ),
      find: p(
        `SELECT id, key, kind, labels FROM series WHERE name = :name
         AND (:app IS NULL OR app_id = :app) AND (:component IS NULL OR component_id = :component)`,
      ),
      names: p("SELECT DISTINCT name, kind FROM series"),
      row: p("SELECT * FROM points WHERE series_id = ? AND res = ? AND t = ?"),
      put: p(
        `INSERT OR REPLACE INTO points (series_id, res, t, count, sum, min, max, last, last_t, buckets)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      range: p(
        `SELECT res, t, count, sum, min, max, last, last_t, buckets FROM points
         WHERE series_id = ? AND t >= ? AND t < ?`,
      ),
    };
    this.#transaction = sqliteTransaction(db);
    this.#rollup = new Rollup(db, (...args) => this.#merge(...args));
  }

  /** Opens (creating if needed) the file at `path`; `":memory:"` for a throwaway one. */
  static open(path: string): MetricStore {
    return new MetricStore(openMetricDb(path));
  }

  /** Merges minute aggregates into their stored rows, in one transaction. */
  writeMinutes(items: MinuteItem[]): void {
    this.#transaction(() => {
      for (const it of items) {
        const id = this.#seriesId(it.key, it.name, it.kind, it.labels);
        this.#merge(id, MINUTE, it.t, it.kind, it.agg);
      }
    });
  }

  /** Series of `name`, narrowed by app and component in SQL. */
  find(name: string, appId?: string, componentId?: string): StoredSeries[] {
    const rows = this.#q.find.all({ name, app: appId ?? null, component: componentId ?? null }) as {
      id: number;
      key: string;
      kind: MetricKind;
      labels: string;
    }[];
    return rows.map((r) => ({ id: r.id, key: r.key, kind: r.kind, labels: JSON.parse(r.labels) }));
  }

  /** Rows of one series whose start lies in [from, to). */
  rows(seriesId: number, from: number, to: number): PointRow[] {
    return this.#q.range.all(seriesId, from, to) as unknown as PointRow[];
  }

  /** Every stored name with its kind. */
  names(): { name: string; kind: MetricKind }[] {
    return this.#q.names.all() as { name: string; kind: MetricKind }[];
  }

  /**
   * Folds minute rows that started before `minuteCutoff` into hour rows, deletes hour rows that
   * started before `hourCutoff`, forgets series left without rows, then deletes the oldest rows
   * beyond `maxRows`. Answers how many rows the cap dropped.
   */
  maintain(minuteCutoff: number, hourCutoff: number, maxRows: number): number {
    return this.#transaction(() => {
      const { dropped, pruned } = this.#rollup.run(minuteCutoff, hourCutoff, maxRows);
      if (pruned) this.#ids.clear();
      return dropped;
    });
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #merge(id: number, res: number, t: number, kind: MetricKind, agg: Aggregate): void {
    const existing = this.#q.row.get(id, res, t) as PointRow | undefined;
    let value = agg;
    if (existing) {
      value = fromRow(existing, kind);
      mergeInto(value, agg);
    }
    const r = toRow(value);
    this.#q.put.run(id, res, t, r.count, r.sum, r.min, r.max, r.last, r.last_t, r.buckets);
  }

  #seriesId(key: string, name: string, kind: MetricKind, labels: MetricLabels): number {
    let id = this.#ids.get(key);
    if (id !== undefined) return id;
    const row = (this.#q.seriesId.get(key) ?? this.#q.addSeries.get(
      key,
      name,
      kind,
      JSON.stringify(labels),
      labels.appId ?? null,
      labels.componentId ?? null,
    )) as { id: number };
    id = row.id;
    this.#ids.set(key, id);
    return id;
  }
}
