/*
 * loadConfig: read (read.ts) -> schema (schema.ts) -> rules (rules/, one per file) -> resolve
 * (resolve.ts) -> the model. Every problem of a stage is reported at once, as a ConfigError.
 */
import * as path from "node:path";
import { ConfigError, ConfigIssue } from "./errors";
import { toConfigIssue } from "./issues";
import type { FleetModel } from "./model";
import { readConfigFile } from "./read";
import { buildModel } from "./resolve";
import { checkRules } from "./rules";
import { FleetConfigSchema } from "./schema";

export { MAX_FILES_PER_FOLDER } from "./package-files";

/** The bundled example organization: what `synth` uses when no config file is given. */
export const DEFAULT_CONFIG = path.join(__dirname, "..", "..", "examples", "fleet.yaml");

/**
 * Reads, validates and resolves a fleet config. Throws ConfigError listing every problem found, each
 * with the file, the field path, the bad value and what is allowed. Reads files; writes nothing.
 * @param file config path (YAML or JSON); default: the bundled example.
 * @param displayName how to name the file in messages and the model; default: `file` relative to cwd.
 */
export function loadConfig(file: string = DEFAULT_CONFIG, displayName?: string): FleetModel {
  const shown = displayName ?? toDisplayPath(file);
  const raw = readConfigFile(file, shown);
  return resolveConfig(raw, path.dirname(path.resolve(file)), shown);
}

/** Validates an already-parsed config object; relative package sources resolve against `baseDir`. */
export function resolveConfig(raw: unknown, baseDir: string, shown: string): FleetModel {
  const parsed = FleetConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(shown, parsed.error.issues.map((issue) => toConfigIssue(issue, raw)));
  const issues: ConfigIssue[] = checkRules(parsed.data);
  const model = buildModel(parsed.data, baseDir, shown, issues);
  if (issues.length > 0) throw new ConfigError(shown, issues);
  return model;
}

function toDisplayPath(file: string): string {
  const rel = path.relative(process.cwd(), path.resolve(file));
  return rel.startsWith("..") || path.isAbsolute(rel) ? path.basename(file) : rel.split(path.sep).join("/");
}
