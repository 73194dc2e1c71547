/**
 * The gateway process: `node gateway.js --manifest dist/manifest.json`. Reloads the
 * manifest on SIGHUP and when the file changes; drains and exits on SIGTERM/SIGINT.
 */
import { watch } from "node:fs";
import { parseArgs } from "node:util";
import { loadManifest } from "./config/load-manifest";
import { Gateway } from "./gateway";
import { createAccessLogger, createLogger } from "./observability/access-log";

const USAGE = `usage: turnpike-gateway --manifest <file or URL> [--port 8080] [--operator-port 9901] [--host 0.0.0.0]
                        [--mock-upstream <url>] [--no-access-log] [--drain-delay-ms 0]
Environment: TURNPIKE_MANIFEST, PORT, TURNPIKE_OPERATOR_PORT, LOG_LEVEL.`;

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      manifest: { type: "string" },
      port: { type: "string" },
      "operator-port": { type: "string" },
      host: { type: "string" },
      "mock-upstream": { type: "string" },
      "no-access-log": { type: "boolean" },
      "drain-delay-ms": { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const source = values.manifest ?? process.env.TURNPIKE_MANIFEST;
  if (!source) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? "info" });
  let manifest;
  try {
    manifest = await loadManifest(source);
  } catch (error) {
    logger.fatal({ reason: (error as Error).message }, "cannot start: the manifest is not usable");
    logger.flush();
    process.exitCode = 1;
    return;
  }
  const gateway = new Gateway({
    logger,
    accessLogger: createAccessLogger({ level: process.env.LOG_LEVEL ?? "info" }),
    port: Number(values.port ?? process.env.PORT ?? 8080),
    operatorPort: Number(values["operator-port"] ?? process.env.TURNPIKE_OPERATOR_PORT ?? 9901),
    host: values.host,
    mockUpstreamUrl: values["mock-upstream"],
    accessLog: !values["no-access-log"],
    drainDelayMs: Number(values["drain-delay-ms"] ?? 0),
  });
  let ports: { port: number; operatorPort: number | null };
  try {
    ports = await gateway.start(manifest);
  } catch (error) {
    logger.fatal({ reason: (error as Error).message }, "cannot start");
    logger.flush();
    process.exitCode = 1;
    await gateway.close(0).catch(() => undefined);
    return;
  }
  const { port, operatorPort } = ports;
  logger.info({ port, operatorPort, revision: manifest.metadata.revision }, "gateway listening");

  const reload = () => void gateway.reloadFrom(source);
  process.on("SIGHUP", reload);
  if (!/^https?:\/\//.test(source)) {
    // Editors replace files (rename) as often as they write them: debounce either event.
    let timer: NodeJS.Timeout | undefined;
    watch(source, () => {
      clearTimeout(timer);
      timer = setTimeout(reload, 100);
    }).unref();
  }
  const stop = (signal: string) => {
    logger.info({ signal }, "shutting down: draining requests in flight");
    void gateway.close().then(() => {
      logger.info("stopped");
      logger.flush();
      process.exit(0);
    });
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

if (require.main === module) void main(process.argv.slice(2));
