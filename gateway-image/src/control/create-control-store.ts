/**
 * Opens the control store a URL names: `sqlite:<path>` (the embedded default, one file),
 * `:memory:` (a throwaway SQLite database, for tests and `turnpike dev` without a file) or
 * `postgres://…` / `postgresql://…` (several replicas sharing one database).
 */
import { type ControlStore, ControlStoreError } from "./control-store";
import { openPostgresControlStore } from "./postgres-control-store";
import type { SqlControlStoreOptions } from "./sql-control-store";
import { openSqliteControlStore } from "./sqlite-control-store";

/** Opens and migrates the store; fails with `invalid-input` for a URL of no known kind. */
export async function openControlStore(url: string, options: SqlControlStoreOptions = {}): Promise<ControlStore> {
  if (url === ":memory:") return openSqliteControlStore(":memory:", options);
  if (url.startsWith("sqlite:")) {
    const path = url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (path === "") throw new ControlStoreError("invalid-input", "sqlite: needs a file path, e.g. sqlite:./turnpike.db", [{ field: "url", message: "no path" }]);
    return openSqliteControlStore(path, options);
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) return openPostgresControlStore(url, options);
  throw new ControlStoreError("invalid-input", `control store URL "${url.replace(/\/\/[^@/]*@/, "//…@")}" is not sqlite:<path>, :memory: or postgres://…`, [{ field: "url", message: "unknown kind of store" }]);
}
