/** Rate-control values ("10", "10%") turned into counts over a known total, as SSM documents them. */

/**
 * How many of `total` may be in flight at once. A percentage rounds down but never below 1 (SSM: "if
 * the percentage is less than one target, one target runs").
 */
export function concurrencyLimit(spec: string, total: number): number {
  if (total <= 0) return 0;
  if (spec.endsWith("%")) return Math.max(1, Math.floor((total * Number(spec.slice(0, -1))) / 100));
  return Math.min(total, Number(spec));
}

/**
 * How many of `total` may fail before no further targets start. The ring stops once failures exceed
 * this (SSM stops "after the number of errors exceeds" MaxErrors). A percentage rounds down.
 */
export function errorBudget(spec: string, total: number): number {
  if (spec.endsWith("%")) return Math.floor((total * Number(spec.slice(0, -1))) / 100);
  return Number(spec);
}
