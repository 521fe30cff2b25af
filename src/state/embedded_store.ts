import type { DatabaseSync, StatementSync } from "node:sqlite";
import { type Clock, type JsonValue, KilnError, quote, systemClock } from "../core/mod.ts";
import { openSqlite, sqliteTransaction, type Transaction } from "../core/sqlite/mod.ts";
import type { StoreDriver, StoreEntry } from "./store.ts";
import { ttlMillis } from "./_ttl.ts";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS kv (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (scope, key)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS kv_expiry ON kv (expires_at) WHERE expires_at IS NOT NULL;
`;

const LIVE = "(expires_at IS NULL OR expires_at > :now)";

interface Row {
  value: string;
  expires_at: number | null;
}

/**
 * The default runtime-state driver: one SQLite file (WAL) through the built-in `node:sqlite`, so a
 * single Kiln node needs no service and its state survives a restart. Statements are prepared once
 * because reads sit on the request path. Expiry follows the injected clock; expired rows are hidden
 * at once and removed lazily or by `sweep()`, which the server schedules (the driver owns no timers).
 */
export class EmbeddedStore implements StoreDriver {
  readonly kind = "embedded" as const;
  readonly #db: DatabaseSync;
  readonly #clock: Clock;
  readonly #q: Record<
    | "get"
    | "put"
    | "purgeOne"
    | "delete"
    | "list"
    | "countLive"
    | "deleteScope"
    | "sweep",
    StatementSync
  >;
  readonly #transaction: Transaction;

  private constructor(db: DatabaseSync, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
    const p = (sql: string) => db.prepare(sql);
    this.#q = {
      get: p("SELECT value, expires_at FROM kv WHERE scope = ? AND key = ?"),
      put: p(
        `INSERT INTO kv (scope, key, value, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      ),
      purgeOne: p("DELETE FROM kv WHERE scope = ? AND key = ? AND expires_at <= ?"),
      delete: p("DELETE FROM kv WHERE scope = ? AND key = ? RETURNING expires_at"),
      list: p(
        `SELECT key, value FROM kv WHERE scope = :scope AND ${LIVE}
         AND substr(key, 1, length(:prefix)) = :prefix ORDER BY key`,
      ),
      countLive: p(`SELECT count(*) AS n FROM kv WHERE scope = :scope AND ${LIVE}`),
      deleteScope: p("DELETE FROM kv WHERE scope = ?"),
      sweep: p("DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?"),
    };
    this.#transaction = sqliteTransaction(db);
  }

  /** Opens (creating if needed) the store at `path`; `":memory:"` gives a throwaway store. */
  static open(path: string, opts: { clock?: Clock } = {}): EmbeddedStore {
    const db = openSqlite(path, SCHEMA, "the embedded store");
    return new EmbeddedStore(db, opts.clock ?? systemClock);
  }

  get(scope: string, key: string): Promise<StoreEntry> {
    return attempt(() => {
      const row = this.#q.get.get(scope, key) as Row | undefined;
      if (row === undefined) return { found: false };
      const now = this.#clock.now();
      if (row.expires_at !== null && row.expires_at <= now) {
        this.#q.purgeOne.run(scope, key, now);
        return { found: false };
      }
      return { found: true, value: JSON.parse(row.value) };
    });
  }

  set(scope: string, key: string, value: JsonValue, ttlSeconds?: number): Promise<void> {
    return attempt(() => {
      const expiresAt = ttlSeconds === undefined ? null : this.#clock.now() + ttlMillis(ttlSeconds);
      const text = JSON.stringify(value);
      if (text === undefined) {
        throw new KilnError("VALIDATION_ERROR", `the value of ${quote(key)} is not JSON`);
      }
      this.#q.put.run(scope, key, text, expiresAt);
    });
  }

  setIfAbsent(
    scope: string,
    key: string,
    value: JsonValue,
    ttlSeconds?: number,
  ): Promise<StoreEntry> {
    return attempt(() => {
      const expiresAt = ttlSeconds === undefined ? null : this.#clock.now() + ttlMillis(ttlSeconds);
      const text = JSON.stringify(value);
      if (text === undefined) {
        throw new KilnError("VALIDATION_ERROR", `the value of ${quote(key)} is not JSON`);
      }
      return this.#transaction(() => {
        const row = this.#q.get.get(scope, key) as Row | undefined;
        if (row && (row.expires_at === null || row.expires_at > this.#clock.now())) {
          return { found: true, value: JSON.parse(row.value) };
        }
        this.#q.put.run(scope, key, text, expiresAt);
        return { found: false };
      });
    });
  }

  delete(scope: string, key: string): Promise<boolean> {
    return attempt(() => {
      const row = this.#q.delete.get(scope, key) as { expires_at: number | null } | undefined;
      return row !== undefined && (row.expires_at === null || row.expires_at > this.#clock.now());
    });
  }

  increment(scope: string, key: string, by: number, ttlSeconds?: number): Promise<number> {
    return attempt(() => {
      if (!Number.isFinite(by)) {
        throw new KilnError("VALIDATION_ERROR", `by must be a finite number, got ${quote(by)}`);
      }
      const ttl = ttlSeconds === undefined ? undefined : ttlMillis(ttlSeconds);
      return this.#transaction(() => {
        const now = this.#clock.now();
        const row = this.#q.get.get(scope, key) as Row | undefined;
        const live = row !== undefined && (row.expires_at === null || row.expires_at > now);
        let current = 0;
        if (live) {
          const parsed = JSON.parse(row.value);
          if (typeof parsed !== "number") {
            throw new KilnError(
              "VALIDATION_ERROR",
              `cannot increment ${quote(key)}: its value ${quote(parsed)} is not a number`,
            );
          }
          current = parsed;
        }
        const next = current + by;
        if (!Number.isFinite(next)) {
          throw new KilnError("VALIDATION_ERROR", `incrementing ${quote(key)} by ${by} overflows`);
        }
        const expiresAt = ttl !== undefined ? now + ttl : live ? row.expires_at : null;
        this.#q.put.run(scope, key, JSON.stringify(next), expiresAt);
        return next;
      });
    });
  }

  list(scope: string, prefix = ""): Promise<{ key: string; value: JsonValue }[]> {
    return attempt(() => {
      const rows = this.#q.list.all({ scope, prefix, now: this.#clock.now() }) as {
        key: string;
        value: string;
      }[];
      return rows.map((r) => ({ key: r.key, value: JSON.parse(r.value) }));
    });
  }

  deleteScope(scope: string): Promise<number> {
    return attempt(() =>
      this.#transaction(() => {
        const { n } = this.#q.countLive.get({ scope, now: this.#clock.now() }) as { n: number };
        this.#q.deleteScope.run(scope);
        return n;
      })
    );
  }

  /** Deletes every expired row; returns how many. The server calls it on a schedule. */
  sweep(): number {
    return Number(this.#q.sweep.run(this.#clock.now()).changes);
  }

  close(): Promise<void> {
    return attempt(() => {
      if (this.#db.isOpen) this.#db.close();
    });
  }
}

function attempt<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(err);
  }
}
