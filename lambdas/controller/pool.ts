/**
 * A bounded pool of in-flight pairs. Each item is one account-Region pair, so its calls stay in order
 * (one worker owns a pair from start to record), while up to `concurrency` pairs are worked on at once.
 *
 * The ceiling (MAX_PAIRS_IN_FLIGHT) keeps one invocation's sockets far below Lambda's 1,024 file
 * descriptors ("File descriptors: 1,024", AWS Lambda quotas): a pair has at most one request open at a
 * time on the shared HTTP handler, plus S3 and STS for the run. Measured with the rollout simulation
 * (scripts/bench-rollout.ts): 64 pairs in flight start a 4,000-pair ring within one pass.
 */

export const MAX_PAIRS_IN_FLIGHT = 64;

export interface PoolOptions {
  /** Pairs in flight at once (1 to MAX_PAIRS_IN_FLIGHT). */
  readonly concurrency: number;
  /** Asked before each item starts: false stops the pool from starting more (running items finish). */
  readonly mayStart: () => boolean;
}

export interface PoolResult {
  readonly started: number;
  /** `mayStart` said no while items were left. */
  readonly stopped: boolean;
}

/**
 * Runs `worker` over `items` with at most `concurrency` at once. Waits for every started item; the first
 * error (of a worker or of `mayStart`) is thrown once all running items have settled.
 */
export async function runPool<T>(items: Iterable<T>, worker: (item: T) => Promise<void>, options: PoolOptions): Promise<PoolResult> {
  const concurrency = Math.max(1, Math.min(MAX_PAIRS_IN_FLIGHT, Math.floor(options.concurrency)));
  const iterator = items[Symbol.iterator]();
  let started = 0;
  let stopped = false;
  let done = false;
  const lane = async (): Promise<void> => {
    while (!done && !stopped) {
      if (!options.mayStart()) {
        stopped = true;
        return;
      }
      const next = iterator.next();
      if (next.done) {
        done = true;
        return;
      }
      started++;
      await worker(next.value);
    }
  };
  const lanes = Array.from({ length: concurrency }, () => lane().catch((error: unknown) => {
    stopped = true;
    throw error;
  }));
  const settled = await Promise.allSettled(lanes);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
  // `stopped` only counts when items were left.
  if (stopped && !done) {
    const rest = iterator.next();
    return { started, stopped: rest.done !== true };
  }
  return { started, stopped: false };
}
