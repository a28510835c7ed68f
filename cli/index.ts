#!/usr/bin/env node
/*
 * The `aft-fleet` command of the installed package (package.json "bin"):
 *   aft-fleet synth | copy | report | status | schema [options]    --help and --version on each
 * Each command is the code the repository's npm scripts run (main.ts, scripts/report.ts, scripts/status.ts,
 * modules/config/json-schema.ts), required only when that command runs, so `aft-fleet --version` loads
 * nothing and `report --help` does not load cdktf. Every file the package reads is found relative to this
 * file, never to the working directory; config-relative paths stay relative to the config file.
 */
import * as fs from "node:fs";
import * as path from "node:path";

interface Command {
  readonly summary: string;
  readonly run: (argv: readonly string[]) => Promise<number>;
}

/** The package's manifest: the first package.json named aft-fleet above this file (sources or lib/cli). */
function packageManifest(from: string = __dirname): { name: string; version: string; root: string } {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (manifest.name === "aft-fleet" && typeof manifest.version === "string") return { name: manifest.name, version: manifest.version, root: dir };
    }
    if (path.dirname(dir) === dir) throw new Error(`no aft-fleet package.json above ${from}`);
  }
}

/**
 * `status` reads the store with the AWS SDK and the controller's ledger code: the package build bundles it
 * with them into one file (lib/status-bundle/status.js, as the Lambda bundle), so the installed package
 * depends on no SDK client; from the sources it is scripts/status.ts.
 */
function statusModule(): { main(argv: readonly string[]): Promise<number> } {
  const bundled = path.join(__dirname, "..", "status-bundle", "status.js");
  const sources = "../scripts/status";
  return require(fs.existsSync(bundled) ? bundled : sources) as { main(argv: readonly string[]): Promise<number> };
}

const COMMANDS: Record<string, Command> = {
  synth: {
    summary: "synthesize the AFT trees (or direct-mode stacks) of a fleet config into --out",
    run: (argv) => (require("../main") as typeof import("../main")).main(["synth", ...argv]),
  },
  copy: {
    summary: "copy the emitted trees into checked-out AFT repositories; --trigger-out writes AFT's trigger input",
    run: (argv) => (require("../main") as typeof import("../main")).main(["copy", ...argv]),
  },
  report: {
    summary: "the pull-request rollout report (Markdown) of a config against --base (git ref or output folder)",
    run: (argv) => (require("../scripts/report") as typeof import("../scripts/report")).main(argv),
  },
  status: {
    summary: "each package ring's rollout state, read from the package store with your AWS credentials",
    run: (argv) => statusModule().main(argv),
  },
  schema: {
    summary: "print the fleet config's JSON Schema, or write it with --out FILE",
    run: async (argv) => schemaCommand(argv),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "usage: aft-fleet <command> [options]",
    "",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "  aft-fleet <command> --help     the command's options",
    "  aft-fleet --version            the installed version (also after any command)",
  ].join("\n");
}

function schemaUsage(): string {
  return ["usage: aft-fleet schema [--out FILE]", "  --out FILE   write the JSON Schema to FILE (e.g. fleet.schema.json); default: stdout"].join("\n");
}

function schemaCommand(argv: readonly string[]): number {
  const { parseArgs } = require("node:util") as typeof import("node:util");
  let out: string | undefined;
  try {
    const { values, positionals } = parseArgs({ args: [...argv], strict: true, allowPositionals: true, options: { out: { type: "string", short: "o" }, help: { type: "boolean", short: "h" } } });
    if (positionals.length > 0) throw new Error(`unexpected argument ${JSON.stringify(positionals[0])}; schema takes only options`);
    if (values.help === true) {
      process.stdout.write(`${schemaUsage()}\n`);
      return 0;
    }
    if (values.out !== undefined && values.out.trim() === "") throw new Error("--out: got an empty path; allowed: a file in an existing folder");
    out = values.out;
  } catch (err) {
    process.stderr.write(`aft-fleet schema: ${(err as Error).message}\n${schemaUsage()}\n`);
    return 2;
  }
  const { fleetJsonSchemaText } = require("../modules/config/json-schema") as typeof import("../modules/config/json-schema");
  const text = fleetJsonSchemaText();
  if (out === undefined) {
    process.stdout.write(text);
    return 0;
  }
  try {
    if (fs.statSync(out, { throwIfNoEntry: false })?.isDirectory()) throw Object.assign(new Error("a folder"), { code: "EISDIR" });
    fs.writeFileSync(out, text);
  } catch (err) {
    process.stderr.write(`aft-fleet schema: --out ${out}: cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); allowed: a writable file in an existing folder\n`);
    return 1;
  }
  process.stdout.write(`aft-fleet: wrote ${out}\n`);
  return 0;
}

/** Runs the command line; returns the exit code (2: bad command line). */
export async function run(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    const out = first === undefined ? process.stderr : process.stdout;
    out.write(`${usage()}\n`);
    return first === undefined ? 2 : 0;
  }
  if (first === "--version" || first === "-v" || rest.includes("--version")) {
    process.stdout.write(`${packageManifest().version}\n`);
    return 0;
  }
  const command = COMMANDS[first];
  if (command === undefined) {
    const hint = /\.(ya?ml|json)$/i.test(first) ? ` (did you mean synth --config ${first}?)` : "";
    process.stderr.write(`aft-fleet: unknown command ${JSON.stringify(first)}${hint}; allowed: ${Object.keys(COMMANDS).join(", ")}\n${usage()}\n`);
    return 2;
  }
  // A command parses its config once: zod's compiled parsers (one generated function per object schema)
  // cost more to build than they save on a single parse (measured: 10-20 ms of a synth). Same results.
  (require("zod") as typeof import("zod")).z.config({ jitless: true });
  return command.run(rest);
}

if (require.main === module) {
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`aft-fleet: internal error: ${(err as Error)?.message ?? String(err)} (set AFT_FLEET_DEBUG=1 for details)\n`);
      if (process.env.AFT_FLEET_DEBUG === "1") process.stderr.write(`${(err as Error)?.stack ?? ""}\n`);
      process.exitCode = 70;
    },
  );
}
