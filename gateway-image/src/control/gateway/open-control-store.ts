/**
 * Opens the control store a `--control-store` URL names, loading only the driver of that
 * kind: better-sqlite3 (native) for `sqlite:`/`:memory:`, pg for `postgres://`. Both are left
 * out of the gateway bundle (see gateway-image/build.ts) and must be beside it only when a
 * store of their kind is configured, so the bundle still runs alone without a control store.
 *
 * Why not `openControlStore` (create-control-store.ts): it imports both drivers at once, so
 * the bundle would need both whichever kind is configured. The URL forms are the same.
 */
import { type ControlStore, ControlStoreError } from "../control-store";

export async function openControlStoreLazily(url: string): Promise<ControlStore> {
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    const { openPostgresControlStore } = require("../postgres-control-store") as typeof import("../postgres-control-store");
    return openPostgresControlStore(url);
  }
  if (url === ":memory:" || url.startsWith("sqlite:")) {
    const path = url === ":memory:" ? ":memory:" : url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (path === "") throw new ControlStoreError("invalid-input", "sqlite: needs a file path, e.g. sqlite:./turnpike.db", [{ field: "url", message: "no path" }]);
    const { openSqliteControlStore } = require("../sqlite-control-store") as typeof import("../sqlite-control-store");
    return openSqliteControlStore(path);
  }
  throw new ControlStoreError("invalid-input", `control store URL "${url.replace(/\/\/[^@/]*@/, "//…@")}" is not sqlite:<path>, :memory: or postgres://…`, [{ field: "url", message: "unknown kind of store" }]);
}
