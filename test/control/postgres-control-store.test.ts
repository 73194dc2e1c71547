/**
 * The PostgreSQL ControlStore: the shared suite against a real PostgreSQL started for this
 * file, each test on a fresh schema. Skipped locally when PostgreSQL is not installed; a
 * failure under CI=true.
 */
import { Client } from "pg";
import type { ControlStore } from "../../gateway-image/src/control/control-store";
import { openControlStore } from "../../gateway-image/src/control/create-control-store";
import { postgresAvailable, startPostgres, type TestPostgres } from "../helpers/postgres";
import { controlStoreSuite, type StoreHarness } from "./control-store.suite";

const available = postgresAvailable();
let server: TestPostgres | undefined;

beforeAll(async () => {
  if (available) server = await startPostgres();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

async function postgresHarness(): Promise<StoreHarness> {
  const url = await server!.freshSchemaUrl();
  const stores: ControlStore[] = [];
  const raw = new Client({ connectionString: url });
  await raw.connect();
  return {
    async open(options) {
      const store = await openControlStore(url, options);
      stores.push(store);
      return store;
    },
    async query(sql) {
      return (await raw.query(sql)).rows as Record<string, unknown>[];
    },
    async tables() {
      const { rows } = await raw.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name");
      return rows.map((row) => row.table_name);
    },
    async close() {
      await Promise.all(stores.map((store) => store.close()));
      await raw.end();
    },
  };
}

if (available) {
  controlStoreSuite("PostgreSQL", postgresHarness);

  describe("PostgreSQL ControlStore", () => {
    it("refuses TRUNCATE of the audit log", async () => {
      const harness = await postgresHarness();
      try {
        const store = await harness.open();
        await store.createDeveloper({ email: "t@example.com", name: "T" }, { actor: "t" });
        await expect(harness.query("TRUNCATE audit_log")).rejects.toThrow(/append-only/);
      } finally {
        await harness.close();
      }
    });

    it("migrates once when several replicas open the same database at the same time", async () => {
      const url = await server!.freshSchemaUrl();
      const stores = await Promise.all(Array.from({ length: 4 }, () => openControlStore(url)));
      expect(await Promise.all(stores.map((store) => store.schemaVersion()))).toEqual([2, 2, 2, 2]);
      await Promise.all(stores.map((store) => store.close()));
    });

    it("reports an unreachable database as unavailable", async () => {
      await expect(openControlStore("postgres://postgres@127.0.0.1:1/none")).rejects.toMatchObject({ code: "unavailable" });
    });
  });
} else {
  it.skip("PostgreSQL ControlStore (install the Debian package `postgresql`)", () => {});
}
