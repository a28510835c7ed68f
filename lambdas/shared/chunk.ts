/** Splits `items` into consecutive chunks of at most `size` items (the last may be shorter). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** Sorted, de-duplicated copy. */
export function sortedUnique(items: Iterable<string>): string[] {
  return [...new Set(items)].sort();
}
