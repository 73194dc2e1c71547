/**
 * Brings a database to the code's schema at open: each pending migration once, in order, in
 * its own transaction together with its `schema_migrations` row. Replicas starting at the same
 * time serialize on a lock, and whoever comes second finds the work done. A database migrated
 * by newer code (or by code with different migrations) is refused: running old code on it could
 * corrupt data it does not understand.
 */
import { ControlStoreError } from "../control-store";
import type { SqlDriver, SqlRow } from "../sql-driver";
import { MIGRATIONS, type Migration } from "./migrations";

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

interface AppliedRow extends SqlRow {
  version: unknown;
  name: string;
}

/** Applies pending migrations; answers the schema version reached. */
export async function applyMigrations(driver: SqlDriver, nowMs: () => number, migrations: readonly Migration[] = MIGRATIONS): Promise<number> {
  for (const migration of migrations) {
    await driver.transaction(async (tx) => {
      await tx.serialize("migrations");
      await tx.run(CREATE_TABLE);
      const applied = await tx.query<AppliedRow>("SELECT version, name FROM schema_migrations ORDER BY version");
      checkCompatible(applied, migrations);
      if (applied.some((row) => Number(row.version) === migration.version)) return;
      await driver.script(tx, driver.dialect === "sqlite" ? migration.sqlite : migration.postgres);
      await tx.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [migration.version, migration.name, nowMs()]);
    });
  }
  if (migrations.length === 0) return 0;
  // Also when there was nothing to apply, so a newer database is refused rather than used.
  return driver.transaction(async (tx) => {
    await tx.run(CREATE_TABLE);
    const applied = await tx.query<AppliedRow>("SELECT version, name FROM schema_migrations ORDER BY version");
    checkCompatible(applied, migrations);
    return applied.length;
  });
}

function checkCompatible(applied: readonly AppliedRow[], migrations: readonly Migration[]): void {
  const newest = migrations.at(-1)?.version ?? 0;
  for (const row of applied) {
    const version = Number(row.version);
    if (version > newest) {
      throw new ControlStoreError(
        "schema-mismatch",
        `the control database is at schema version ${Math.max(...applied.map((r) => Number(r.version)))}, newer than this gateway knows (${newest}): run a gateway of that version or newer`,
      );
    }
    const known = migrations.find((migration) => migration.version === version);
    if (known === undefined || known.name !== row.name) {
      throw new ControlStoreError("schema-mismatch", `the control database's migration ${version} is "${row.name}", this gateway's is "${known?.name ?? "(none)"}": it was migrated by different code`);
    }
  }
}
