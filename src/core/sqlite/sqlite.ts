/**
 * The SQLite handling the embedded runtime store and the metric store share: one file in WAL
 * mode through the built-in `node:sqlite`, and write transactions that take the lock up front.
 */
import { DatabaseSync } from "node:sqlite";
import { KilnError, quote } from "../errors/mod.ts";

/**
 * Opens (creating if needed) the database at `path` (`":memory:"` for a throwaway one) in WAL
 * mode and applies `schema`. UNAVAILABLE naming `what` when it cannot; nothing is left open.
 */
export function openSqlite(path: string, schema: string, what: string): DatabaseSync {
  let db: DatabaseSync | undefined;
  try {
    const created = path !== ":memory:" && !exists(path);
    db = new DatabaseSync(path);
    // Another process holding the write lock is waited for, not failed on.
    db.exec("PRAGMA busy_timeout = 5000");
    // A new file is switched to WAL and given its schema without fsyncs (five per file, 4–15 ms
    // each on a busy disk, all on a fresh start's way to listening): it holds nothing yet, and
    // the first checkpoint syncs it. An existing file is already in WAL mode.
    db.exec(`PRAGMA synchronous = ${created ? "OFF" : "NORMAL"}`);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(schema);
    if (created) db.exec("PRAGMA synchronous = NORMAL");
    return db;
  } catch (err) {
    db?.close();
    const reason = err instanceof Error ? err.message : String(err);
    throw new KilnError(
      "UNAVAILABLE",
      `cannot open ${what} at ${quote(path)}: ${reason}`,
      undefined,
      {
        cause: err,
      },
    );
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Runs `work` in one transaction: committed when it returns, rolled back when it throws. */
export type Transaction = <T>(work: () => T) => T;

/**
 * A {@link Transaction} on `db`, its statements prepared once. `BEGIN IMMEDIATE` takes the write
 * lock at the start, so two writers queue on `busy_timeout` instead of failing mid-way.
 */
export function sqliteTransaction(db: DatabaseSync): Transaction {
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const rollback = db.prepare("ROLLBACK");
  return <T>(work: () => T): T => {
    begin.run();
    try {
      const result = work();
      commit.run();
      return result;
    } catch (err) {
      rollback.run();
      throw err;
    }
  };
}
