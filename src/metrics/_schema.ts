import type { DatabaseSync } from "node:sqlite";
import { openSqlite } from "../core/sqlite/mod.ts";
import type { AggregateRow } from "./_aggregate.ts";

/**
 * The metric file's tables: `series` (one row per name + labels, with app and component pulled
 * out for indexed lookups) and `points` (one row per series, resolution and bucket start; hour
 * rows and minute rows side by side). `points_t` serves retention and the row cap.
 */
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

/** A stored row: one series over one minute (`res` 60 000) or one hour (`res` 3 600 000). */
export type PointRow = AggregateRow & { series_id: number; res: number; t: number };

/** Opens (creating if needed) the metric database in WAL mode; UNAVAILABLE when it cannot. */
export function openMetricDb(path: string): DatabaseSync {
  return openSqlite(path, SCHEMA, "the metric store");
}
