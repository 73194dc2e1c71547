/**
 * The embedded control store: one SQLite file through better-sqlite3.
 *
 * - `journal_mode = WAL`: readers never wait for the writer, and a commit is one append to the
 *   WAL file.
 * - `synchronous = FULL`: the WAL is fsync'ed at every commit, so an acknowledged change
 *   survives not only a crash of the process but also of the machine (power loss, kernel
 *   panic). `NORMAL` would already survive a process crash (the WAL is written with write(2)
 *   before COMMIT returns, and the kernel keeps it) but may lose the last commits on power
 *   loss. Control-plane writes are few (keys, subscriptions, audit) and a gateway flushes usage
 *   in batches ({@link ControlStore.incrementUsageMany}), so the fsync per commit costs little.
 * - `foreign_keys = ON` (SQLite's default is off) and a busy timeout, for when several
 *   processes (cluster workers) share the file; write transactions start with `BEGIN
 *   IMMEDIATE`, so they take the write lock up front instead of failing on upgrade.
 *
 * better-sqlite3 is synchronous and the store's transactions are async functions (the same
 * code runs on PostgreSQL): one queue runs them, and every statement outside them, one at a
 * time, so a transaction's statements never interleave with another's on the connection.
 * Note that a busy wait for another process's lock blocks this process's event loop.
 */
import { resolve } from "node:path";
import Database from "better-sqlite3";
import type { ControlStore } from "./control-store";
import { SqlControlStore, type SqlControlStoreOptions } from "./sql-control-store";
import type { SqlDriver, SqlRow, SqlTransaction, SqlValue } from "./sql-driver";

/** How long a statement waits for another process's write lock before failing. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/** Runs functions one after another, each starting when the previous one has settled. */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * One queue per database file in this process. Two stores on one file in one process (tests,
 * tools) must not interleave either: a `BEGIN IMMEDIATE` waiting for the other connection's
 * lock blocks the event loop, so the other transaction could never reach its COMMIT.
 * Other processes are no problem: their event loops run on.
 */
const queues = new Map<string, { queue: SerialQueue; users: number }>();

function queueFor(path: string): { queue: SerialQueue; release(): void } {
  if (path === ":memory:" || path === "") return { queue: new SerialQueue(), release: () => {} };
  const key = resolve(path);
  let entry = queues.get(key);
  if (entry === undefined) queues.set(key, (entry = { queue: new SerialQueue(), users: 0 }));
  entry.users++;
  const shared = entry;
  return {
    queue: shared.queue,
    release: () => {
      if (--shared.users === 0) queues.delete(key);
    },
  };
}

class SqliteDriver implements SqlDriver {
  readonly dialect = "sqlite";
  readonly forUpdate = "";
  private readonly statements = new Map<string, Database.Statement>();
  private readonly queue: SerialQueue;
  private readonly releaseQueue: () => void;
  /** Statements of the running transaction: not queued (the transaction holds the queue). */
  private readonly direct: SqlTransaction;

  constructor(
    private readonly db: Database.Database,
    path: string,
  ) {
    ({ queue: this.queue, release: this.releaseQueue } = queueFor(path));
    this.direct = {
      query: async <R extends SqlRow>(sql: string, params: readonly SqlValue[] = []) => this.all<R>(sql, params),
      run: async (sql: string, params: readonly SqlValue[] = []) => this.exec(sql, params),
      serialize: async () => {},
    };
  }

  query<R extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
    return this.queue.run(() => this.all<R>(sql, params));
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.queue.run(() => this.exec(sql, params));
  }

  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      this.db.exec("BEGIN IMMEDIATE");
      try {
        const result = await fn(this.direct);
        this.db.exec("COMMIT");
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        throw error;
      }
    });
  }

  async script(_tx: SqlTransaction, sql: string): Promise<void> {
    this.db.exec(sql);
  }

  uniqueViolation(error: unknown): string | null {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code !== "SQLITE_CONSTRAINT_UNIQUE" && code !== "SQLITE_CONSTRAINT_PRIMARYKEY") return null;
    // "UNIQUE constraint failed: subscriptions.app_id, subscriptions.product"
    const columns = String(message).replace(/^.*constraint failed: /, "").split(", ");
    const table = columns[0]?.split(".")[0] ?? "";
    return `${table}.${columns.map((column) => column.slice(column.indexOf(".") + 1)).join(",")}`;
  }

  close(): Promise<void> {
    return this.queue.run(() => {
      if (!this.db.open) return;
      this.db.close();
      this.releaseQueue();
    });
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private all<R extends SqlRow>(sql: string, params: readonly SqlValue[]): R[] {
    const statement = this.statement(sql);
    if (!statement.reader) {
      statement.run(...params);
      return [];
    }
    return statement.all(...params) as R[];
  }

  private exec(sql: string, params: readonly SqlValue[]): number {
    return this.statement(sql).run(...params).changes;
  }
}

/** Opens (creating if needed) the SQLite database at `path` (`:memory:` for a throwaway one) and migrates it. */
export async function openSqliteControlStore(path: string, options: SqlControlStoreOptions = {}): Promise<ControlStore> {
  const db = new Database(path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  } catch (error) {
    db.close();
    throw error;
  }
  return SqlControlStore.open(new SqliteDriver(db, path), options);
}
