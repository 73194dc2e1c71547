/** The `turnpike` command line. */
import { Command, CommanderError } from "commander";
import { benchCommand } from "./commands/bench";
import { devCommand } from "./commands/dev";
import { diffCommand, diffOptions } from "./commands/diff";
import { lintCommand, lintOptions } from "./commands/lint";
import { policiesCommand } from "./commands/policies";
import { sloRunCommand } from "./commands/slo";
import { synthCommand } from "./commands/synth";
import { DeclarationError } from "./load-app";
import { type Output, processOutput } from "./output";
import { UsageError, loadProject } from "./project";

const { version } = require("../package.json") as { version: string };

/** Runs the CLI with `argv` (as in `process.argv`); resolves to the exit code. */
export async function main(argv: readonly string[], output: Output = processOutput()): Promise<number> {
  let code = 0;
  const program = new Command()
    .name("turnpike")
    .description("API management as code: compile a declaration into a manifest and the artifacts built from it.")
    .version(version)
    .option("--app <module>", "declaration module (default: \"app\" in turnpike.json)")
    .option("--out <dir>", "output directory (default: \"output\" in turnpike.json, else dist)")
    .exitOverride()
    .configureOutput({ writeOut: (text) => output.stdout(text), writeErr: (text) => output.stderr(text) });
  const project = () => {
    const options = program.opts<{ app?: string; out?: string }>();
    return loadProject(process.cwd(), { app: options.app, output: options.out });
  };

  program
    .command("synth")
    .description("compile the declaration and write <out>/manifest.json and <out>/manifest.schema.json")
    .option("--json", "print the result and every problem as JSON")
    .action(async (options: { json?: boolean }) => {
      code = await synthCommand(project(), { json: options.json === true }, output);
    });
  program
    .command("dev")
    .description("compile the declaration and serve it through the gateway, reloading on every change (what npm start runs)")
    .option("--port <port>", "port for API traffic", "8080")
    .option("--operator-port <port>", "port for /healthz, /readyz and /metrics", "9901")
    .option("--host <address>", "interface to listen on", "127.0.0.1")
    .option("--no-watch", "do not watch the declaration for changes")
    .action(async (options: { port: string; operatorPort: string; host: string; watch: boolean }) => {
      code = await devCommand(project(), { port: Number(options.port), operatorPort: Number(options.operatorPort), host: options.host, watch: options.watch }, output);
    });
  program
    .command("lint")
    .description("compile the declaration and check it against the governance rules: contracts (Redocly recommended + house rules) and the model")
    .option("--format <format>", "human, json, or github (GitHub Actions annotations)", "human")
    .option("--json", "same as --format json")
    .option("--today <date>", "date the sunset rule compares with, YYYY-MM-DD (default: today)")
    .action(async (options: { format?: string; json?: boolean; today?: string }) => {
      code = await lintCommand(project(), lintOptions(options), output);
    });
  program
    .command("diff")
    .description("compare the declaration at a git ref with the working tree: contract, plan, policy, consumer and artifact changes")
    .option("--base <ref>", "git ref to compare with, e.g. origin/main (required)")
    .option("--format <format>", "markdown or json", "markdown")
    // Not --out: that is the global output directory, which commander also accepts here.
    .option("--report <file>", "write the report to a file instead of stdout")
    .action(async (options: { base?: string; format: string; report?: string }) => {
      code = await diffCommand(project(), diffOptions({ base: options.base, format: options.format, out: options.report, app: program.opts<{ app?: string }>().app }), output);
    });
  program
    .command("policies")
    .description("list the gateway policies, their phases and where they attach")
    .option("--json", "print as JSON")
    .action((options: { json?: boolean }) => {
      code = policiesCommand({ json: options.json === true }, output);
    });
  const slo = program.command("slo").description("service level objectives: check them under load against a running gateway");
  slo
    .command("run")
    .description("load a running gateway with an API's scenarios (autocannon) and check each SLO objective; exit 1 on a breach")
    .option("--api <id>", "API id (default: every API with an SLO)")
    .option("--profile <name>", "smoke, load, stress or soak", "smoke")
    .option("--duration <seconds>", "seconds per API (default: the profile's steady part)")
    .option("--url <gateway>", "the gateway's base URL", "http://127.0.0.1:8080")
    .option("--key <key>", "API key (default: TURNPIKE_API_KEY)")
    .option("--token <jwt>", "JWT for bearer-authenticated APIs (default: TURNPIKE_TOKEN)")
    .option("--json", "print the results as JSON")
    .action(async (options: { api?: string; profile: string; duration?: string; url: string; key?: string; token?: string; json?: boolean }) => {
      code = await sloRunCommand(project(), { ...options, json: options.json === true }, output);
    });
  program
    .command("bench")
    .description("run benchmark suites (default: all)")
    .argument("[suites...]", "suites to run: compile, first-call, portal-search, masking, gateway, failure-paths, tracing, reload-memory")
    .option("--json", "print results as JSON")
    // No defaults here: each suite has its own (gateway 10 s and 3 rounds, failure-paths 8 s and 2, tracing 8 s, reload-memory 24 s and 3).
    .option("--duration <seconds>", "gateway, failure-paths, tracing, reload-memory: seconds per wrk run")
    .option("--rounds <n>", "gateway, failure-paths, tracing, reload-memory: rounds of all contenders")
    .option("--rate <n>", "tracing: open-loop requests per second", "3000")
    .option("--connections <list>", "gateway: wrk connection counts", "64,16")
    .option("--only <names>", "gateway: contenders to run, comma-separated (* matches any text); failure-paths: scenarios")
    .option("--pairs <n>", "gateway: back-to-back pairs per throughput target (0: none)", "6")
    .action(async (suites: string[], options: { json?: boolean; duration?: string; rounds?: string; connections: string; only?: string; pairs: string; rate: string }) => {
      code = await benchCommand(suites, { ...options, json: options.json === true }, output);
    });

  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof UsageError) {
      output.stderr(`${output.paint(["bold", "red"], "error")} ${error.message}\n`);
      return 2;
    }
    if (error instanceof DeclarationError) {
      const where = error.location(process.cwd());
      output.stderr(`${output.paint(["bold", "red"], "error")}${output.paint("dim", "[declaration]")} ${error.message}\n${where ? `  at: ${where}\n` : ""}`);
      return 1;
    }
    throw error;
  }
}

