import { DatabaseSync, type StatementSync } from "node:sqlite";
import { KilnError, quote } from "../core/mod.ts";
import { type Aggregate, type AggregateRow, fromRow, mergeInto, toRow } from "./_aggregate.ts";
import type { MetricKind, MetricLabels } from "./types.ts";

export const MINUTE = 60_000;
export const HOUR = 3_600_000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    labels TEXT NOT NULL,
    app_id TEXT,
    component_id TEXT
  );
  CREATE INDEX IF NOT EXISTS series_name ON series (name, app_id, component_id);
  CREATE TABLE IF NOT EXISTS points (
    series_id INTEGER NOT NULL,
    res INTEGER NOT NULL,
    t INTEGER NOT NULL,
    count INTEGER NOT NULL,
    sum REAL NOT NULL,
    min REAL NOT NULL,
    max REAL NOT NULL,
    last REAL NOT NULL,
    last_t INTEGER NOT NULL,
    buckets TEXT,
    PRIMARY KEY (series_id, res, t)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS points_t ON points (t);
`;

/** A stored series. */
export interface StoredSeries {
  id: number;
  key: string;
  kind: MetricKind;
  labels: MetricLabels;
}

/** A stored row: one series over one minute (`res` 60 000) or one hour (`res` 3 600 000). */
export type PointRow = AggregateRow & { series_id: number; res: number; t: number };

/**
 * The metric file: one SQLite database (WAL) with a `series` table (name, kind, labels) and a
 * `points` table of per-minute and per-hour aggregates. Writes merge into an existing row, so
 * flushing the same minute twice, or folding minutes into an hour, loses nothing.
 */
export class MetricStore {
  readonly #db: DatabaseSync;
  readonly #ids = new Map<string, number>();
  readonly #q: Record<string, StatementSync>;

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
      oldMinutes: p(`SELECT p.*, s.kind FROM points p JOIN series s ON s.id = p.series_id
         WHERE p.res = ${MINUTE} AND p.t < ?`),
      dropMinutes: p(`DELETE FROM points WHERE res = ${MINUTE} AND t < ?`),
      dropHours: p(`DELETE FROM points WHERE res = ${HOUR} AND t < ?`),
      pruneSeries: p("DELETE FROM series WHERE id NOT IN (SELECT DISTINCT series_id FROM points)"),
      countRows: p("SELECT count(*) AS n FROM points"),
      dropOldest: p(`DELETE FROM points WHERE (series_id, res, t) IN
         (SELECT series_id, res, t FROM points ORDER BY t LIMIT ?)`),
      begin: p("BEGIN IMMEDIATE"),
      commit: p("COMMIT"),
      rollback: p("ROLLBACK"),
    };
  }

  /** Opens (creating if needed) the file at `path`; `":memory:"` for a throwaway one. */
  static open(path: string): MetricStore {
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(path);
      db.exec("PRAGMA busy_timeout = 5000");
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec(SCHEMA);
      return new MetricStore(db);
    } catch (err) {
      db?.close();
      const reason = err instanceof Error ? err.message : String(err);
      throw new KilnError(
        "UNAVAILABLE",
        `cannot open the metric store at ${quote(path)}: ${reason}`,
        undefined,
        { cause: err },
      );
    }
  }

  /** Merges minute aggregates into their stored rows, in one transaction. */
  writeMinutes(
    items: {
      key: string;
      name: string;
      kind: MetricKind;
      labels: MetricLabels;
      t: number;
      agg: Aggregate;
    }[],
  ): void {
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
      const old = this.#q.oldMinutes.all(
        minuteCutoff,
      ) as unknown as (PointRow & { kind: MetricKind })[];
      const hours = new Map<string, { id: number; t: number; kind: MetricKind; agg: Aggregate }>();
      for (const row of old) {
        const t = row.t - (row.t % HOUR);
        const k = `${row.series_id}:${t}`;
        const agg = fromRow(row, row.kind);
        const hit = hours.get(k);
        if (hit) mergeInto(hit.agg, agg);
        else hours.set(k, { id: row.series_id, t, kind: row.kind, agg });
      }
      for (const h of hours.values()) this.#merge(h.id, HOUR, h.t, h.kind, h.agg);
      this.#q.dropMinutes.run(minuteCutoff);
      this.#q.dropHours.run(hourCutoff);
      const { n } = this.#q.countRows.get() as { n: number };
      const over = Math.max(0, n - maxRows);
      if (over > 0) this.#q.dropOldest.run(over);
      if (Number(this.#q.pruneSeries.run().changes) > 0) this.#ids.clear();
      return over;
    });
  }

  /** Total stored rows. */
  rowCount(): number {
    return (this.#q.countRows.get() as { n: number }).n;
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

  #transaction<T>(work: () => T): T {
    this.#q.begin.run();
    try {
      const result = work();
      this.#q.commit.run();
      return result;
    } catch (err) {
      this.#q.rollback.run();
      throw err;
    }
  }
}
