/*
 * The output folder rule. aft-fleet writes only into a dedicated output folder: one that is missing,
 * empty, or holds exactly what aft-fleet wrote there before (listed in its marker file). It is never
 * the working directory, the project, the config or a package source, nor an ancestor of any of them,
 * nor inside a package source (the next synth would zip it), and never a file. Everything is checked
 * before anything is written; a refusal names the folder and the problem.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Marker file at the root of every output folder: the files aft-fleet wrote there, one per line. */
export const MARKER_FILE = ".aft-fleet-output";
const MARKER_HEADER = "# aft-fleet output: the files below were written by aft-fleet and are replaced by the next synth.";
/** Working folders aft-fleet creates inside the output folder while it writes (removed afterwards). */
export const WORK_PREFIX = ".aft-fleet-";

/** The output location cannot be used; the CLI prints the message without a stack trace and exits 1. */
export class OutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutputError";
  }
}

/** A path the output folder must neither equal, contain, nor (for `inside: true` ones) be inside of. */
export interface ProtectedPath {
  readonly path: string;
  /** How to name it in a refusal, e.g. "the config file". */
  readonly what: string;
  /** Also refuse an output folder inside this path. */
  readonly noOutputInside?: boolean;
}

/** The real path of `p`: symbolic links resolved in the part that exists, the rest appended as is. */
function realPathOf(p: string): string {
  const abs = path.resolve(p);
  let existing = abs;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(existing), ...rest);
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return abs;
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

function isSameOrAncestor(ancestor: string, p: string): boolean {
  const rel = path.relative(ancestor, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** The files (relative, `/`-separated) a marker lists; undefined when the text is not an aft-fleet marker. */
function parseMarker(text: string): string[] | undefined {
  const lines = text.split("\n");
  if (lines[0] !== MARKER_HEADER) return undefined;
  const files = lines.slice(1).filter((l) => l !== "");
  const safe = files.every((f) => !f.startsWith("/") && !f.split("/").some((seg) => seg === "" || seg === "." || seg === ".."));
  return safe ? files : undefined;
}

export function markerText(files: readonly string[]): string {
  return `${[MARKER_HEADER, ...[...files].sort()].join("\n")}\n`;
}

/** What the output folder holds now, as far as aft-fleet may replace it. */
export interface OutputState {
  /** Absolute real path of the output folder. */
  readonly dir: string;
  /** Files aft-fleet wrote there before (empty for a missing or empty folder). */
  readonly previous: readonly string[];
}

/**
 * Checks `out` against the rule and returns the folder's state. Throws OutputError naming the problem.
 * Writes nothing.
 */
export function checkOutputDir(out: string, protectedPaths: readonly ProtectedPath[]): OutputState {
  if (out.trim() === "") throw new OutputError(`--out: got an empty path; allowed: a folder for the emitted trees, e.g. dist`);
  const dir = realPathOf(out);
  for (const p of protectedPaths) {
    const real = realPathOf(p.path);
    if (isSameOrAncestor(dir, real)) {
      const how = dir === real ? "is" : "contains";
      throw new OutputError(`--out ${out}: ${how} ${p.what} (${path.relative(process.cwd(), real) || "."}); allowed: a dedicated output folder that holds none of the project's files, e.g. dist`);
    }
    if (p.noOutputInside && isSameOrAncestor(real, dir)) {
      throw new OutputError(`--out ${out}: is inside ${p.what}; allowed: a folder outside it (the next synth would package the output)`);
    }
  }
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { dir, previous: [] };
    const why = code === "ENOTDIR" ? "a path component is a file" : code === "EACCES" ? "permission denied" : (code ?? "error");
    throw new OutputError(`--out ${out}: cannot be used (${why}); allowed: a folder aft-fleet may create and write`);
  }
  if (!stat.isDirectory()) throw new OutputError(`--out ${out}: is a file; allowed: a folder (missing, empty, or written by aft-fleet before)`);
  let entries: string[];
  try {
    entries = fs.readdirSync(dir).filter((e) => !e.startsWith(WORK_PREFIX));
  } catch (err) {
    throw new OutputError(`--out ${out}: cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"}); allowed: a folder aft-fleet may create and write`);
  }
  if (entries.length === 0) return { dir, previous: [] };
  const markerPath = path.join(dir, MARKER_FILE);
  const marker = fs.lstatSync(markerPath, { throwIfNoEntry: false })?.isFile() ? parseMarker(fs.readFileSync(markerPath, "utf8")) : undefined;
  if (!marker) {
    throw new OutputError(
      `--out ${out}: holds files aft-fleet did not write (no ${MARKER_FILE} marker: ${preview(entries)}); allowed: a missing or empty folder, or one aft-fleet wrote before`,
    );
  }
  const foreign = foreignEntries(dir, new Set(marker));
  if (foreign.length > 0) {
    throw new OutputError(`--out ${out}: holds files aft-fleet did not write (${preview(foreign)}); allowed: only what aft-fleet wrote (move those away first)`);
  }
  return { dir, previous: marker };
}

function preview(names: readonly string[]): string {
  const shown = names.slice(0, 5).join(", ");
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}

/** Entries below `dir` that are neither a listed file nor a folder on the way to one (links count as foreign). */
function foreignEntries(dir: string, listed: ReadonlySet<string>): string[] {
  const folders = new Set<string>();
  for (const f of listed) {
    const parts = f.split("/");
    for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join("/"));
  }
  const foreign: string[] = [];
  const stack = [""];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (!rel && (entry.name === MARKER_FILE || entry.name.startsWith(WORK_PREFIX))) continue;
      if (entry.isDirectory() && folders.has(child)) stack.push(child);
      else if (!(entry.isFile() && listed.has(child))) foreign.push(child);
    }
  }
  return foreign.sort();
}
