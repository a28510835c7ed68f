/**
 * A discrete-event clock. `sleep(ms)` registers a timer at now + ms; `run(promise)` drives the simulation:
 * it lets every promise that can make progress do so (microtasks, then a few `setImmediate` turns), and only
 * when nothing can, moves virtual time to the earliest timer and wakes every timer due then. Nothing here
 * waits for real time, so an hour of virtual time costs only the work done in it.
 */

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly wake: () => void;
}

/** Thrown when the promise being run can never settle: nothing is scheduled and it is still pending. */
export class DeadlockError extends Error {
  constructor(at: number) {
    super(`virtual clock: the run is stuck at ${new Date(at).toISOString()} (no timer left and the promise is unsettled)`);
    this.name = "DeadlockError";
  }
}

/** The run was cut off at its deadline (a Lambda timeout): its timers were dropped, it never settles. */
export class DeadlineError extends Error {
  constructor(readonly at: number) {
    super(`deadline reached at ${new Date(at).toISOString()}`);
    this.name = "DeadlineError";
  }
}

/** Binary min-heap of timers by (at, seq). */
class TimerHeap {
  private readonly items: Timer[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Timer | undefined {
    return this.items[0];
  }

  push(timer: Timer): void {
    const a = this.items;
    a.push(timer);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): Timer | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }

  clear(): number {
    const n = this.items.length;
    this.items.length = 0;
    return n;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class VirtualClock {
  private t: number;
  private seq = 0;
  private readonly timers = new TimerHeap();
  /** Timer wake-ups so far (a measure of simulated work). */
  events = 0;
  /** Timers dropped at a deadline or left behind by a settled run. */
  dropped = 0;
  /** Called every `sampleEvery` wake-ups while running (e.g. to sample memory). */
  onSample?: () => void;
  sampleEvery = 2000;

  constructor(startMs: number) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  /** Resolves after `ms` of virtual time (at once when ms <= 0, still through the timer queue). */
  sleep(ms: number): Promise<void> {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    return new Promise<void>((resolve) => this.timers.push({ at: this.t + delay, seq: this.seq++, wake: resolve }));
  }

  /** Moves the clock forward with nothing running (between runbook steps). */
  advanceTo(ms: number): void {
    if (this.timers.size > 0) throw new Error("virtual clock: advanceTo with timers pending");
    if (ms > this.t) this.t = ms;
  }

  pendingTimers(): number {
    return this.timers.size;
  }

  /**
   * Runs `promise` to completion in virtual time. With `deadline`, stops when the next timer lies beyond it:
   * the clock stands at the deadline, every pending timer is dropped (the work they belonged to never
   * resumes, as a Lambda invocation killed at its timeout), and DeadlineError is thrown.
   */
  async run<T>(promise: Promise<T>, deadline?: number): Promise<T> {
    let settled = false;
    let value: T | undefined;
    let failure: unknown;
    let failed = false;
    promise.then(
      (v) => {
        settled = true;
        value = v;
      },
      (e: unknown) => {
        settled = true;
        failed = true;
        failure = e;
      },
    );
    for (;;) {
      // Let everything runnable run: microtasks drain before each setImmediate callback.
      for (let i = 0; i < 3 && !settled; i++) await turn();
      if (settled) break;
      const next = this.timers.peek();
      if (next === undefined) {
        await turn();
        if (settled) break;
        throw new DeadlockError(this.t);
      }
      if (deadline !== undefined && next.at > deadline) {
        this.t = Math.max(this.t, deadline);
        this.dropped += this.timers.clear();
        throw new DeadlineError(this.t);
      }
      this.t = next.at;
      // Wake every timer due now, in order, then let them all run together.
      while (this.timers.peek() !== undefined && this.timers.peek()!.at <= this.t) {
        this.timers.pop()!.wake();
        this.events++;
        if (this.onSample && this.events % this.sampleEvery === 0) this.onSample();
      }
    }
    // Work the run left behind (fire-and-forget timers) does not outlive it, as a frozen Lambda's.
    this.dropped += this.timers.clear();
    if (failed) throw failure;
    return value as T;
  }
}
