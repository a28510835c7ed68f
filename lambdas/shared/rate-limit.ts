/**
 * Client-side rate limiting: a token bucket per key (an account and Region, an API), so a pool of pairs in
 * flight spreads its calls under the service's throttle instead of meeting it and backing off. It sits in
 * front of the SDK's own retries (adaptive mode) and shared/retry.ts: those still handle what throttling
 * gets through; this keeps most of it from happening.
 *
 * A bucket holds up to `burst` tokens and gains `ratePerSecond` per second; each call takes one, and a
 * call that finds none waits until its token is due. Waiters reserve tokens in the order they call, so
 * concurrent callers of one key are spaced 1/rate apart, whatever their number.
 */

export interface RateLimiterOptions {
  /** Tokens added per second (sustained calls per second). */
  readonly ratePerSecond: number;
  /** Bucket size: calls that may go at once after a quiet spell. At least 1. */
  readonly burst: number;
  /** Clock in milliseconds. @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A documented (or chosen) rate for one kind of call. */
export interface Rate {
  readonly ratePerSecond: number;
  readonly burst: number;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Buckets idle this long are full again and are forgotten (keys are many: accounts x Regions). */
const FORGET_AFTER_FULL_MS = 60_000;

export class RateLimiter {
  readonly ratePerSecond: number;
  readonly burst: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Tokens at `at` (negative: reserved by waiters). */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(options: RateLimiterOptions) {
    if (!(options.ratePerSecond > 0) || !Number.isFinite(options.ratePerSecond)) throw new Error(`ratePerSecond must be a positive number, got ${options.ratePerSecond}`);
    if (!Number.isInteger(options.burst) || options.burst < 1) throw new Error(`burst must be an integer of at least 1, got ${options.burst}`);
    this.ratePerSecond = options.ratePerSecond;
    this.burst = options.burst;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
  }

  /** Resolves when the caller may send one request for `key`. */
  async take(key: string): Promise<void> {
    const wait = this.reserve(key);
    if (wait > 0) await this.sleep(wait);
  }

  /** Takes a token now (possibly one not yet due) and returns how long to wait for it, in ms. */
  private reserve(key: string): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    const elapsed = Math.max(0, now - bucket.at);
    bucket.tokens = Math.min(this.burst, bucket.tokens + (elapsed * this.ratePerSecond) / 1000);
    bucket.at = now;
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 1000) this.forgetFull(now);
    return bucket.tokens >= 0 ? 0 : Math.ceil((-bucket.tokens * 1000) / this.ratePerSecond);
  }

  private forgetFull(now: number): void {
    const refill = (this.burst * 1000) / this.ratePerSecond;
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.at > refill + FORGET_AFTER_FULL_MS) this.buckets.delete(key);
    }
  }
}

/** What rateLimited needs of a client: a `send` returning a promise (every SDK v3 client). */
export interface Sender {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- every SDK client's overloaded send must fit
  send: (...args: any[]) => Promise<any>;
}

/**
 * The client with `send` waiting for `take()` first; every other property and method is the client's
 * own. `send` is looked up at each call, so a `send` replaced later (a test stub) is still limited.
 * Each call through it takes one token, including each retry shared/retry.ts makes (the SDK's own
 * attempts within one `send` take none).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- every SDK client's overloaded send must fit
export function rateLimited<C extends { send: (...a: any[]) => Promise<any> }>(client: C, take: () => Promise<void>): C {
  return new Proxy(client, {
    get(target, property) {
      if (property === "send") {
        return async (...args: unknown[]) => {
          await take();
          return target.send(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * STS AssumeRole from the controller (central account, its Region's STS endpoint). STS throttles each
 * account per Region with token buckets (IAM User Guide, "IAM and AWS STS quotas"; AWS Security Blog,
 * "How to monitor and query IAM resources at scale – Part 2": "IAM and AWS STS independently implement a
 * token bucket algorithm for throttling"); the request rate of AssumeRole is not given on the pages
 * found here, so it is chosen conservatively: 20 per second with a burst of 20. Credentials are cached
 * per account for an hour (pair-credentials.ts), so this is one call per account and hour: 10,000
 * accounts take about 8 minutes of AssumeRole at most, spread over the passes that need them.
 */
export const STS_ASSUME_ROLE_RATE: Rate = { ratePerSecond: 20, burst: 20 };

/**
 * Organizations (one global endpoint, us-east-1, shared by every caller in the organization: AFT,
 * Control Tower, other tools). Too many requests fail with TooManyRequestsException ("You have sent too
 * many requests in too short a period of time", Organizations API Reference, common errors; "Quotas for
 * AWS Organizations", Organizations User Guide); the rate is not documented on the pages found here, so it
 * is chosen conservatively: 5 per second, burst 10. One walk of 10,000 accounts (about 675 calls) takes
 * about 2 minutes at that rate, and the organization snapshot (controller/org-cache.ts) makes it once
 * per cycle, not once per ring.
 */
export const ORGANIZATIONS_RATE: Rate = { ratePerSecond: 5, burst: 10 };

/**
 * SSM control-plane calls in one member account and Region (DescribeDocument, UpdateDocument,
 * ListDocumentVersions, Create/Update/DescribeAssociation, SendCommand, ...). AWS throttles SSM per
 * account and Region ("The request or operation exceeds the maximum allowed request rate per Amazon Web
 * Services account and Amazon Web Services Region", SSM API ThrottlingException) and documents numbers
 * only for Parameter Store (GetParameter/GetParameters/GetParametersByPath share 40 per second by
 * default, Systems Manager endpoints and quotas); for the document and association APIs it is not
 * documented, so it is chosen conservatively: 10 per second, burst 20. A pair makes about 10 calls per
 * step, so a pair is not slowed by it, and the account's other users (its own tools, the console, the
 * Quick Setup and AFT pipelines) keep most of the quota.
 */
export const SSM_PER_ACCOUNT_REGION_RATE: Rate = { ratePerSecond: 10, burst: 20 };

/** The three defaults by name. */
export const DEFAULT_RATES = {
  stsAssumeRole: STS_ASSUME_ROLE_RATE,
  organizations: ORGANIZATIONS_RATE,
  ssmPerAccountRegion: SSM_PER_ACCOUNT_REGION_RATE,
} as const;
