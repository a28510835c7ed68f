import { MAX_PAIRS_IN_FLIGHT, runPool } from "../../lambdas/controller/pool";

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("the pool of pairs in flight", () => {
  it("keeps at most `concurrency` items in flight and works each item once, its own steps in order", async () => {
    let inFlight = 0;
    let peak = 0;
    const steps: string[] = [];
    const items = Array.from({ length: 40 }, (_, i) => `pair-${i}`);
    const result = await runPool(
      items,
      async (item) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        steps.push(`${item}:describe`);
        await tick();
        steps.push(`${item}:update`);
        await tick();
        steps.push(`${item}:associate`);
        inFlight--;
      },
      { concurrency: 8, mayStart: () => true },
    );
    expect(result).toEqual({ started: 40, stopped: false });
    expect(peak).toBe(8);
    for (const item of items) {
      const own = steps.filter((s) => s.startsWith(`${item}:`));
      expect(own).toEqual([`${item}:describe`, `${item}:update`, `${item}:associate`]);
    }
  });

  it("never exceeds its ceiling, whatever concurrency is asked for (Lambda allows 1,024 file descriptors)", async () => {
    let inFlight = 0;
    let peak = 0;
    await runPool(
      Array.from({ length: 500 }, (_, i) => i),
      async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await tick();
        inFlight--;
      },
      { concurrency: 10_000, mayStart: () => true },
    );
    expect(peak).toBe(MAX_PAIRS_IN_FLIGHT);
  });

  it("starts nothing more once mayStart says no (the deadline), lets running items finish and says it stopped", async () => {
    let budget = 5;
    const finished: number[] = [];
    const result = await runPool(
      Array.from({ length: 20 }, (_, i) => i),
      async (item) => {
        await tick();
        finished.push(item);
      },
      { concurrency: 3, mayStart: () => budget-- > 0 },
    );
    expect(result).toEqual({ started: 5, stopped: true });
    expect(finished.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
  });

  it("a stop with nothing left is not a stop", async () => {
    let calls = 0;
    const result = await runPool([1, 2], async () => undefined, { concurrency: 1, mayStart: () => ++calls <= 2 });
    expect(result).toEqual({ started: 2, stopped: false });
  });

  it("throws the first error only after every running item settled", async () => {
    const settled: number[] = [];
    await expect(
      runPool(
        [0, 1, 2, 3],
        async (item) => {
          if (item === 0) throw new Error("Task timed out");
          await tick();
          await tick();
          settled.push(item);
        },
        { concurrency: 4, mayStart: () => true },
      ),
    ).rejects.toThrow("Task timed out");
    expect(settled.sort()).toEqual([1, 2, 3]);
  });
});
