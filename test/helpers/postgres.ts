/**
 * A real PostgreSQL for tests: a fresh cluster (initdb) in a temporary directory, its own free
 * port on 127.0.0.1 and its own unix-socket directory, trust authentication, started with
 * `pg_ctl start -w` and a database created for the tests. `stop()` stops it and removes the
 * directory. Tests that want isolation take a fresh schema ({@link TestPostgres.freshSchemaUrl}).
 *
 * initdb and pg_ctl refuse to run as root: as root, they run as the `postgres` user (su) on a
 * directory chowned to it. fsync is off: these servers hold nothing worth keeping, and the
 * durability under test is the store's (synchronous_commit), not the disk's.
 *
 * Binaries: `/usr/lib/postgresql/<version>/bin` (Debian's place, not on PATH), then PATH.
 * Under `CI=true` a missing PostgreSQL is an error; locally the tests skip with a message.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { freePort } from "./free-port";

const DEBIAN_ROOT = "/usr/lib/postgresql";
const DATABASE = "turnpike_test";

export interface TestPostgres {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/turnpike_test` */
  readonly url: string;
  /** Creates a new empty schema and answers a URL whose connections use it (`search_path`). */
  freshSchemaUrl(): Promise<string>;
  /** Stops the server (immediate shutdown) and removes its directory. */
  stop(): Promise<void>;
}

/** The directory holding initdb, pg_ctl and postgres, or `null`. */
export function findPostgresBinDir(): string | null {
  if (existsSync(DEBIAN_ROOT)) {
    const versions = readdirSync(DEBIAN_ROOT)
      .filter((name) => /^\d+$/.test(name) && existsSync(join(DEBIAN_ROOT, name, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(DEBIAN_ROOT, versions[0], "bin");
  }
  const found = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  const initdb = found.status === 0 ? found.stdout.trim() : "";
  if (initdb === "") return null;
  const dir = initdb.slice(0, initdb.lastIndexOf("/"));
  return existsSync(join(dir, "pg_ctl")) ? dir : null;
}

/**
 * Whether PostgreSQL tests can run: `true` when the binaries are there; otherwise an error
 * under `CI=true` and, locally, `false` after saying what to install.
 */
export function postgresAvailable(): boolean {
  if (findPostgresBinDir() !== null) return true;
  const message = "PostgreSQL (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or on PATH: install the Debian package `postgresql`";
  if (process.env.CI === "true") throw new Error(message);
  console.warn(`Skipping PostgreSQL tests. ${message}`);
  return false;
}

/** Every cluster started by this process, stopped on exit if a test forgot to. */
const running = new Set<() => void>();
process.once("exit", () => {
  for (const stop of running) stop();
});

const asRoot = typeof process.getuid === "function" && process.getuid() === 0;

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Runs a PostgreSQL tool, as the postgres user when we are root. */
function runTool(binary: string, args: readonly string[]): void {
  const [command, commandArgs] = asRoot ? ["su", ["postgres", "-s", "/bin/sh", "-c", [binary, ...args].map(shellQuote).join(" ")]] : [binary, [...args]];
  try {
    execFileSync(command as string, commandArgs as string[], { stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`${binary} ${args.join(" ")} failed:\n${stdout?.toString() ?? ""}${stderr?.toString() ?? ""}`);
  }
}

function postgresUid(): { uid: number; gid: number } {
  const [uid, gid] = execFileSync("sh", ["-c", "id -u postgres; id -g postgres"], { encoding: "utf8" }).trim().split("\n").map(Number);
  return { uid: uid!, gid: gid! };
}

/** Starts a fresh cluster; throws when PostgreSQL is missing (check {@link postgresAvailable} first). */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = findPostgresBinDir();
  if (bin === null) throw new Error("PostgreSQL not found: install the Debian package `postgresql`");
  const dir = mkdtempSync(join(tmpdir(), "turnpike-postgres-"));
  const data = join(dir, "data");
  if (asRoot) {
    const { uid, gid } = postgresUid();
    chownSync(dir, uid, gid);
  }
  runTool(join(bin, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]);

  const stopNow = () => {
    spawnSync(asRoot ? "su" : join(bin, "pg_ctl"), asRoot ? ["postgres", "-s", "/bin/sh", "-c", [join(bin, "pg_ctl"), "stop", "-D", data, "-m", "immediate", "-w"].map(shellQuote).join(" ")] : ["stop", "-D", data, "-m", "immediate", "-w"], { stdio: "ignore" });
  };
  let port = 0;
  // A free port can be taken between finding it and binding it: try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const options = [`-p ${port}`, `-k ${dir}`, "-c listen_addresses=127.0.0.1", "-c fsync=off", "-c full_page_writes=off", "-c max_connections=60"].join(" ");
    try {
      runTool(join(bin, "pg_ctl"), ["start", "-D", data, "-w", "-t", "20", "-l", join(dir, "server.log"), "-o", options]);
      break;
    } catch (error) {
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  running.add(stopNow);

  const admin = new Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres" });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.end();

  const url = `postgres://postgres@127.0.0.1:${port}/${DATABASE}`;
  let schemas = 0;
  return {
    port,
    url,
    async freshSchemaUrl() {
      const schema = `test_${process.pid}_${++schemas}`;
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE SCHEMA ${schema}`);
      } finally {
        await client.end();
      }
      return `${url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    },
    async stop() {
      running.delete(stopNow);
      stopNow();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
