/** Command-line rules every aft-fleet command shares (node:util parseArgs with `tokens: true`). */

interface Token {
  readonly kind: string;
  readonly name?: string;
}

/** Each option at most once: a repeated option is refused rather than silently overridden. */
export function refuseRepeatedOptions(tokens: readonly Token[] | undefined, error: (message: string) => Error = (message) => new Error(message)): void {
  const seen = new Set<string>();
  for (const token of tokens ?? []) {
    if (token.kind !== "option" || token.name === undefined) continue;
    if (seen.has(token.name)) throw error(`--${token.name} is given more than once; give it once`);
    seen.add(token.name);
  }
}
