/**
 * Explicit backoff for throttling, layered over the SDK's own retry strategy. The SDK retries a few
 * times within milliseconds to seconds; Organizations and SSM quotas are low enough that a fan-out can
 * stay throttled for longer, so this wrapper adds slower, visible retries whose schedule tests can assert.
 */

/** Error names AWS services use for throttling (Organizations, SSM, CloudWatch, S3). */
const THROTTLING_ERROR_NAMES: ReadonlySet<string> = new Set([
  "ThrottlingException",
  "TooManyRequestsException",
  "Throttling",
  "RequestLimitExceeded",
  "SlowDown",
]);

export interface BackoffOptions {
  /** Total tries including the first. @default 5 */
  readonly maxAttempts?: number;
  /** Delay before the first retry; doubles on each further retry. @default 500 */
  readonly baseDelayMs?: number;
  /** Upper bound of a single delay. @default 8000 */
  readonly maxDelayMs?: number;
  /** Injected for tests. @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1]. @default Math.random */
  readonly random?: () => number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function isThrottling(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return (
    (typeof name === "string" && THROTTLING_ERROR_NAMES.has(name)) ||
    (typeof code === "string" && THROTTLING_ERROR_NAMES.has(code))
  );
}

/** Delay before retry number `retry` (1-based): exponential, capped, with jitter in [50 %, 100 %]. */
export function backoffDelay(retry: number, options: BackoffOptions = {}): number {
  const base = options.baseDelayMs ?? 500;
  const cap = options.maxDelayMs ?? 8000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(cap, base * 2 ** (retry - 1));
  return Math.round(ceiling * (0.5 + 0.5 * random()));
}

/** Runs `operation`, retrying only throttling errors with exponential backoff. */
export async function withBackoff<T>(operation: () => Promise<T>, options: BackoffOptions = {}): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 5;
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= maxAttempts || !isThrottling(error)) throw error;
      await wait(backoffDelay(attempt, options));
    }
  }
}
