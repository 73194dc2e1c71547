/**
 * The control store for several gateway replicas: PostgreSQL through a `pg` Pool.
 *
 * - Each change is one `BEGIN … COMMIT` on one pooled connection, rolled back on any error.
 * - Read-modify-write of a row (a subscription's state, a credential being rotated or revoked)
 *   reads it `FOR UPDATE`, so two replicas racing on the same subscription are ordered and the
 *   second one sees the first one's state (and may be refused by the state machine).
 * - Writers of the access feed and of migrations serialize on advisory transaction locks (see
 *   {@link SqlTransaction.serialize}); deadlocks and serialization failures are retried.
 * - Durability: every change's transaction sets `synchronous_commit = on`, so COMMIT returns
 *   only after the commit record is flushed to the WAL on disk, whatever the server's default.
 *   (Usage increments outside a transaction follow the server's setting: losing the last
 *   increments in a crash is acceptable, losing a revocation is not.)
 * - The audit log refuses UPDATE, DELETE and TRUNCATE by trigger (migration 2).
 */
import { Pool, type PoolClient, type PoolConfig } from "pg";
import { type ControlStore, ControlStoreError } from "./control-store";
import { SqlControlStore, type SqlControlStoreOptions } from "./sql-control-store";
import type { SerializedSection, SqlDriver, SqlRow, SqlTransaction, SqlValue } from "./sql-driver";

/** Advisory lock ids (any bigint; these spell nothing, they only must not collide with others). */
const ADVISORY_LOCKS: Record<SerializedSection, number> = { migrations: 7_314_001, "access-feed": 7_314_002 };

/** Retries of a transaction that PostgreSQL aborted to break a deadlock or a serialization conflict. */
const TRANSACTION_ATTEMPTS = 5;
const RETRYABLE = new Set(["40001", "40P01"]);

/** Connection failures: the HTTP layer answers 503 for these. */
const UNAVAILABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "ETIMEDOUT", "EPIPE", "57P01", "57P02", "57P03"]);

const numbered = new Map<string, string>();

/** `?` placeholders as `$1`, `$2`, … (the store's SQL has no `?` anywhere else). */
function numberPlaceholders(sql: string): string {
  let converted = numbered.get(sql);
  if (converted === undefined) {
    let n = 0;
    converted = sql.replace(/\?/g, () => `$${++n}`);
    numbered.set(sql, converted);
  }
  return converted;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function translate(error: unknown): unknown {
  const code = errorCode(error);
  if (code !== undefined && (UNAVAILABLE.has(code) || code.startsWith("08"))) {
    return new ControlStoreError("unavailable", `the control database is unavailable (${code})`, [], { cause: error });
  }
  return error;
}

class PostgresDriver implements SqlDriver {
  readonly dialect = "postgres";
  readonly forUpdate = " FOR UPDATE";

  constructor(private readonly pool: Pool) {}

  async query<R extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(numberPlaceholders(sql), params as SqlValue[])).rows;
    } catch (error) {
      throw translate(error);
    }
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    try {
      return (await this.pool.query(numberPlaceholders(sql), params as SqlValue[])).rowCount ?? 0;
    } catch (error) {
      throw translate(error);
    }
  }

  async transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        throw translate(error);
      }
      let broken = false;
      try {
        // One round trip: a server (or role) configured with synchronous_commit off would
        // acknowledge commits that a crash can still lose; the store's changes insist.
        await client.query("BEGIN; SET LOCAL synchronous_commit TO on");
        const result = await fn(transactionOn(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
        } catch {
          broken = true; // the connection is gone: do not return it to the pool
        }
        const code = errorCode(error);
        if (code !== undefined && RETRYABLE.has(code) && attempt < TRANSACTION_ATTEMPTS) continue;
        throw translate(error);
      } finally {
        client.release(broken);
      }
    }
  }

  async script(tx: SqlTransaction, sql: string): Promise<void> {
    // Without parameters, pg sends a simple query, which may hold several statements.
    await tx.run(sql);
  }

  uniqueViolation(error: unknown): string | null {
    if (errorCode(error) !== "23505") return null;
    const { table, detail } = error as { table?: string; detail?: string };
    // detail: "Key (app_id, product)=(app_1, orders) already exists."
    const columns = /^Key \((.*?)\)=/.exec(detail ?? "")?.[1];
    return columns === undefined ? `${table ?? ""}.` : `${table ?? ""}.${columns.split(", ").join(",")}`;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function transactionOn(client: PoolClient): SqlTransaction {
  return {
    async query<R extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
      return (await client.query<R>(params.length === 0 ? sql : numberPlaceholders(sql), params as SqlValue[])).rows;
    },
    async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
      // A parameterless statement goes as a simple query (migration scripts hold several).
      const result = params.length === 0 ? await client.query(sql) : await client.query(numberPlaceholders(sql), params as SqlValue[]);
      return (Array.isArray(result) ? 0 : result.rowCount) ?? 0;
    },
    async serialize(section: SerializedSection): Promise<void> {
      await client.query("SELECT pg_advisory_xact_lock($1)", [ADVISORY_LOCKS[section]]);
    },
  };
}

/** Opens a pool on `connectionString` (`postgres://…`) and migrates the database. */
export async function openPostgresControlStore(connectionString: string, options: SqlControlStoreOptions & { readonly pool?: Omit<PoolConfig, "connectionString"> } = {}): Promise<ControlStore> {
  const pool = new Pool({ max: 10, connectionTimeoutMillis: 5_000, ...options.pool, connectionString });
  // An idle connection that dies (server restart) is dropped by the pool; the next query opens
  // a new one. Without a listener the error would crash the process.
  pool.on("error", () => {});
  return SqlControlStore.open(new PostgresDriver(pool), options);
}
