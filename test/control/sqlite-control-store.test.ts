/**
 * The SQLite ControlStore: the shared suite on a fresh file per test, plus what only an
 * embedded database has to show: an acknowledged write survives a SIGKILL of the process, and
 * the pragmas that promise it are set.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import type { ControlStore } from "../../gateway-image/src/control/control-store";
import { openControlStore } from "../../gateway-image/src/control/create-control-store";
import { openSqliteControlStore } from "../../gateway-image/src/control/sqlite-control-store";
import { controlStoreSuite, type StoreHarness } from "./control-store.suite";

async function sqliteHarness(): Promise<StoreHarness> {
  const dir = mkdtempSync(join(tmpdir(), "turnpike-control-"));
  const path = join(dir, "control.db");
  const stores: ControlStore[] = [];
  let raw: Database.Database | null = null;
  const rawDb = () => (raw ??= new Database(path));
  return {
    async open(options) {
      const store = await openSqliteControlStore(path, options);
      stores.push(store);
      return store;
    },
    async query(sql) {
      // A connection of its own per query, as another client would be.
      const db = new Database(path);
      try {
        const statement = db.prepare(sql);
        if (statement.reader) return statement.all() as Record<string, unknown>[];
        statement.run();
        return [];
      } finally {
        db.close();
      }
    },
    async tables() {
      return (rawDb().prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((row) => row.name);
    },
    async close() {
      await Promise.all(stores.map((store) => store.close()));
      raw?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

controlStoreSuite("SQLite", sqliteHarness);

describe("SQLite ControlStore", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "turnpike-control-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("opens with WAL, synchronous FULL and foreign keys on", async () => {
    const path = join(dir, "control.db");
    const store = await openControlStore(`sqlite:${path}`);
    const db = new Database(path);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    await store.close();
    db.close();
    // The other pragmas are per connection: check the store's own through its behaviour.
    const again = await openSqliteControlStore(path);
    await expect(again.createApp({ developerId: "dev_missing", name: "x" }, { actor: "t" })).rejects.toMatchObject({ code: "not-found" });
    await again.close();
  });

  it("opens :memory: and refuses unknown URLs", async () => {
    const store = await openControlStore(":memory:");
    expect(await store.schemaVersion()).toBe(2);
    await store.close();
    await expect(openControlStore("mysql://localhost/x")).rejects.toMatchObject({ code: "invalid-input" });
  });

  it("keeps every acknowledged write when the process is killed mid-write", async () => {
    const path = join(dir, "crash.db");
    const module = resolve(__dirname, "../../gateway-image/src/control/sqlite-control-store.ts");
    // Writes developers as fast as it can and prints each one once the store acknowledged it.
    const script = `
      const { openSqliteControlStore } = require(${JSON.stringify(module)});
      (async () => {
        const store = await openSqliteControlStore(${JSON.stringify(path)});
        for (let i = 0; ; i++) {
          await store.createDeveloper({ email: "d" + i + "@example.com", name: "D" + i }, { actor: "crash-test" });
          process.stdout.write("acknowledged d" + i + "@example.com\\n");
        }
      })();`;
    const child = spawn(process.execPath, ["--require", "tsx/cjs", "-e", script], { cwd: resolve(__dirname, "../.."), stdio: ["ignore", "pipe", "pipe"] });
    const acknowledged: string[] = [];
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((done, fail) => {
      let buffered = "";
      child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split("\n");
        buffered = lines.pop()!;
        for (const line of lines) if (line.startsWith("acknowledged ")) acknowledged.push(line.slice("acknowledged ".length));
        if (acknowledged.length >= 50 && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      });
      child.once("exit", (code, signal) => (signal === "SIGKILL" ? done() : fail(new Error(`child exited ${code ?? signal}: ${stderr}`))));
    });

    expect(acknowledged.length).toBeGreaterThanOrEqual(50);
    const store = await openSqliteControlStore(path);
    for (const email of acknowledged) expect(await store.findDeveloperByEmail(email)).not.toBeNull();
    // Every developer written has its audit entry: the two were one transaction.
    const developers = (await store.listDevelopers({ limit: 500 })).items.length;
    expect(developers).toBeGreaterThanOrEqual(acknowledged.length);
    expect((await store.queryAudit({ actor: "crash-test", limit: 500 })).items).toHaveLength(developers);
    await store.close();
  });
});
