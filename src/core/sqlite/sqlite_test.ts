import assert from "node:assert/strict";
import { KilnError } from "../errors/mod.ts";
import { openSqlite, sqliteTransaction } from "./sqlite.ts";

const SCHEMA = "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)";

Deno.test("openSqlite() opens a file in WAL mode with the schema applied", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const db = openSqlite(`${dir}/x.db`, SCHEMA, "the test store");
    const mode = db.prepare("PRAGMA journal_mode").get() as { journal_mode: string };
    assert.equal(mode.journal_mode, "wal");
    db.prepare("INSERT INTO t VALUES ('a', 1)").run();
    db.close();
    // Reopening keeps the rows: the schema is applied only if missing.
    const again = openSqlite(`${dir}/x.db`, SCHEMA, "the test store");
    assert.deepEqual({ ...again.prepare("SELECT k, v FROM t").get() }, { k: "a", v: 1 });
    again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openSqlite() leaves a new file and a reopened one at synchronous NORMAL", async () => {
  const dir = await Deno.makeTempDir();
  const sync = (db: ReturnType<typeof openSqlite>) =>
    (db.prepare("PRAGMA synchronous").get() as { synchronous: number }).synchronous;
  try {
    // A new file is created without fsyncs, then every later commit runs at NORMAL (1), as
    // a reopened file does: only the creation skips them.
    const db = openSqlite(`${dir}/x.db`, SCHEMA, "the test store");
    assert.equal(sync(db), 1);
    db.close();
    const again = openSqlite(`${dir}/x.db`, SCHEMA, "the test store");
    assert.equal(sync(again), 1);
    again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openSqlite() answers UNAVAILABLE naming the store and path when it cannot open", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A directory is not a database file.
    assert.throws(() => openSqlite(dir, SCHEMA, "the test store"), (err: unknown) => {
      assert.ok(err instanceof KilnError);
      assert.equal(err.code, "UNAVAILABLE");
      assert.match(err.message, /^cannot open the test store at ".*":/);
      return true;
    });
    // A bad schema is refused the same way.
    assert.throws(
      () => openSqlite(":memory:", "CREATE NONSENSE", "the test store"),
      /UNAVAILABLE|cannot open/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sqliteTransaction() commits what returns and rolls back what throws", () => {
  const db = openSqlite(":memory:", SCHEMA, "the test store");
  try {
    const tx = sqliteTransaction(db);
    const insert = db.prepare("INSERT INTO t VALUES (?, ?)");
    assert.equal(tx(() => (insert.run("a", 1), "done")), "done");
    assert.throws(() =>
      tx(() => {
        insert.run("b", 2);
        throw new Error("boom");
      }), /boom/);
    const keys = db.prepare("SELECT k FROM t ORDER BY k").all().map((r) => r.k);
    assert.deepEqual(keys, ["a"]);
    // The connection is usable after a rollback: no transaction left open.
    assert.equal(db.isTransaction, false);
  } finally {
    db.close();
  }
});
