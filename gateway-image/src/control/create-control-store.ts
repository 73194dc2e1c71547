/**
 * Opens the control store a URL names: `sqlite:<path>` (the embedded default, one file),
 * `:memory:` (a throwaway SQLite database, for tests and `turnpike dev` without a file) or
 * `postgres://…` / `postgresql://…` (several replicas sharing one database).
 *
 * Only the driver of that kind is loaded: better-sqlite3 (native) for SQLite, pg for
 * PostgreSQL. Both stay out of the gateway bundle (gateway-image/build.ts) and must be beside
 * it only when a store of their kind is configured, so the bundle runs alone without one.
 */
import { type ControlStore, ControlStoreError } from "./control-store";
import type { SqlControlStoreOptions } from "./sql-control-store";

/** Opens and migrates the store; fails with `invalid-input` for a URL of no known kind. */
export async function openControlStore(url: string, options: SqlControlStoreOptions = {}): Promise<ControlStore> {
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    const { openPostgresControlStore } = require("./postgres-control-store") as typeof import("./postgres-control-store");
    return openPostgresControlStore(url, options);
  }
  if (url === ":memory:" || url.startsWith("sqlite:")) {
    const path = url === ":memory:" ? ":memory:" : url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (path === "") throw new ControlStoreError("invalid-input", "sqlite: needs a file path, e.g. sqlite:./turnpike.db", [{ field: "url", message: "no path" }]);
    const { openSqliteControlStore } = require("./sqlite-control-store") as typeof import("./sqlite-control-store");
    return openSqliteControlStore(path, options);
  }
  throw new ControlStoreError("invalid-input", `control store URL "${url.replace(/\/\/[^@/]*@/, "//…@")}" is not sqlite:<path>, :memory: or postgres://…`, [{ field: "url", message: "unknown kind of store" }]);
}
