/*
 * `npm run cdktf:synth -- --config FILE [cdktf options]` (and cdktf:deploy): the cdktf CLI on the stacks of
 * FILE. The cdktf CLI takes no app arguments (it ignores an unknown --config and runs cdktf.json's "app"
 * as it is), so this wrapper takes --config, checks that the config loads (one line per problem, exit 1,
 * before cdktf starts), and hands it to the app (main.ts cdktf) as AFT_FLEET_CONFIG. Without --config or
 * AFT_FLEET_CONFIG it says on stderr that it uses the bundled example.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { ConfigError, DEFAULT_CONFIG, loadConfig } from "../modules/config";

const ROOT = path.join(__dirname, "..");

export interface CdktfArgs {
  readonly config?: string;
  readonly cdktf: string[];
}

/** Takes `--config FILE` / `--config=FILE` (once) out of the arguments; the rest are the cdktf CLI's. */
export function parseCdktfArgs(argv: readonly string[]): CdktfArgs {
  let config: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let value: string | undefined;
    if (arg === "--config") {
      value = argv[++i];
      if (value === undefined || value.startsWith("-")) throw new Error("--config needs a FILE (a YAML or JSON fleet config)");
    } else if (arg.startsWith("--config=")) value = arg.slice("--config=".length);
    else {
      rest.push(arg);
      continue;
    }
    if (config !== undefined) throw new Error("--config is given more than once; give it once");
    if (value.trim() === "") throw new Error("--config: got an empty path; allowed: a YAML or JSON fleet config file");
    config = value;
  }
  if (rest.length === 0) throw new Error("no cdktf command; e.g. npm run cdktf:synth -- --config FILE");
  return { ...(config !== undefined ? { config } : {}), cdktf: rest };
}

function main(argv: readonly string[]): number {
  let args: CdktfArgs;
  try {
    args = parseCdktfArgs(argv);
  } catch (err) {
    process.stderr.write(`aft-fleet cdktf: ${(err as Error).message}\n`);
    return 2;
  }
  const given = args.config ?? process.env.AFT_FLEET_CONFIG;
  if (given === undefined) process.stderr.write(`aft-fleet cdktf: no --config given; using the bundled example ${path.relative(process.cwd(), DEFAULT_CONFIG)}\n`);
  const config = path.resolve(given ?? DEFAULT_CONFIG);
  try {
    loadConfig(config, given ?? path.relative(process.cwd(), DEFAULT_CONFIG));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const cli = path.join(path.dirname(require.resolve("cdktf-cli/package.json", { paths: [ROOT] })), "bundle", "bin", "cdktf");
  const run = spawnSync(process.execPath, [cli, ...args.cdktf], {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, AFT_FLEET_CONFIG: config, CHECKPOINT_DISABLE: "1" },
  });
  if (run.error) {
    process.stderr.write(`aft-fleet cdktf: cannot start the cdktf CLI (${run.error.message})\n`);
    return 1;
  }
  return run.status ?? 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
