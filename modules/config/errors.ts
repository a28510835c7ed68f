/** One problem with the input: where it is, what was found, and what is allowed. */
export interface ConfigIssue {
  /** Dotted field path, e.g. `packages[0].rings[1].targets`; `(root)` for the whole file. */
  readonly path: string;
  /** What the field holds (already rendered for display), or undefined when the field is missing. */
  readonly value?: string;
  /** What would be accepted. */
  readonly allowed: string;
}

/** Bad input. The CLI prints `message` without a stack trace and exits non-zero. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(ConfigError.render(file, issues));
    this.name = "ConfigError";
  }

  private static render(file: string, issues: readonly ConfigIssue[]): string {
    const lines = issues.map((issue) => {
      const found = issue.value === undefined ? "missing" : `got ${issue.value}`;
      return `${file}: ${issue.path}: ${found}; allowed: ${issue.allowed}`;
    });
    const head = issues.length === 1 ? "invalid fleet config" : `invalid fleet config (${issues.length} problems)`;
    return [head, ...lines].join("\n");
  }
}

/** Renders a value for an error message: short, single-line, quoted strings. */
export function showValue(value: unknown): string {
  if (value === undefined) return "nothing";
  // JSON.stringify renders NaN and the infinities as null, which would misreport a YAML `.nan`.
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Array.isArray(value) ? "a list" : typeof value === "object" ? "a mapping" : String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Joins a path of keys and indexes as `a.b[0].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(root)";
  return path
    .map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join("");
}
