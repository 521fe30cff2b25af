/**
 * SQLite on `node:sqlite` for the stores that keep a local file. A door of its own, apart from
 * `core/mod.ts`, because code bundled for sandboxes imports `core/mod.ts` and must not pull in
 * a Node built-in.
 */
export { openSqlite, sqliteTransaction } from "./sqlite.ts";
export type { Transaction } from "./sqlite.ts";
