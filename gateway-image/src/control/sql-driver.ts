/**
 * The little the shared SQL implementation of the control store needs from a database: run a
 * statement, run a function in a transaction, serialize writers of one kind, and recognise a
 * unique-constraint violation. SQLite and PostgreSQL each implement it in a few dozen lines,
 * so the store's logic (and its semantics) exists once.
 *
 * SQL is written with `?` placeholders; the PostgreSQL driver numbers them (`$1`, `$2`, …).
 */

/** What a statement takes as parameters: times are epoch milliseconds, JSON is text. */
export type SqlValue = string | number | null;

/** A row as the driver returns it. PostgreSQL returns BIGINT as a string: read numbers with `Number()`. */
export type SqlRow = Record<string, unknown>;

export type SqlDialect = "sqlite" | "postgres";

/** Writers that must not interleave even in different transactions. */
export type SerializedSection = "migrations" | "access-feed";

/** Statements inside one transaction (or, on the driver itself, each in its own). */
export interface SqlExecutor {
  query<R extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<R[]>;
  /** Runs a statement; answers the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** A transaction's statements, plus serialization of a section until it ends. */
export interface SqlTransaction extends SqlExecutor {
  /**
   * Holds a lock on `section` until the transaction ends, so two transactions never write it
   * at once (PostgreSQL: an advisory transaction lock; SQLite: a no-op, its write transactions
   * are already one at a time).
   */
  serialize(section: SerializedSection): Promise<void>;
}

export interface SqlDriver extends SqlExecutor {
  readonly dialect: SqlDialect;
  /** ` FOR UPDATE` on PostgreSQL (row lock for read-modify-write), empty on SQLite (the write transaction holds the database). */
  readonly forUpdate: string;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws.
   * The promise resolves only after the commit is durable.
   */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /** Runs a multi-statement script without parameters (migrations), inside `tx`. */
  script(tx: SqlTransaction, sql: string): Promise<void>;
  /** `table.column[,column…]` when `error` is a unique-constraint violation, otherwise `null`. */
  uniqueViolation(error: unknown): string | null;
  close(): Promise<void>;
}
