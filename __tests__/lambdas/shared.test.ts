import { chunk, sortedUnique } from "../../lambdas/shared/chunk";
import { backoffDelay, isThrottling, withBackoff } from "../../lambdas/shared/retry";
import { MAX_CONCURRENCY, MAX_ERRORS, runObjectKey } from "../../lambdas/shared/validate";
import { awsError, recordingSleep } from "./stub";

describe("withBackoff", () => {
  it("retries ThrottlingException twice, then returns the result", async () => {
    let attempts = 0;
    const { delays, sleep } = recordingSleep();
    const result = await withBackoff(
      async () => {
        attempts++;
        if (attempts <= 2) throw awsError("ThrottlingException", "Rate exceeded");
        return "ok";
      },
      { sleep, baseDelayMs: 200, random: () => 1 },
    );
    expect(result).toBe("ok");
    expect(attempts).toBe(3);
    expect(delays).toEqual([200, 400]);
  });

  it("does not retry other errors", async () => {
    let attempts = 0;
    const { delays, sleep } = recordingSleep();
    await expect(
      withBackoff(
        async () => {
          attempts++;
          throw awsError("AccessDeniedException");
        },
        { sleep },
      ),
    ).rejects.toMatchObject({ name: "AccessDeniedException" });
    expect(attempts).toBe(1);
    expect(delays).toEqual([]);
  });

  it("waits for real when no sleep is injected", async () => {
    let attempts = 0;
    const started = Date.now();
    await withBackoff(
      async () => {
        if (++attempts === 1) throw awsError("TooManyRequestsException");
      },
      { baseDelayMs: 40, random: () => 1 },
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
  });

  it("caps and jitters delays", () => {
    expect([1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(retry, { baseDelayMs: 500, maxDelayMs: 8000, random: () => 1 }))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000,
    ]);
    expect(backoffDelay(3, { baseDelayMs: 500, random: () => 0 })).toBe(1000);
  });

  it.each(["ThrottlingException", "TooManyRequestsException", "Throttling", "RequestLimitExceeded", "SlowDown"])("treats %s as throttling", (name) => {
    expect(isThrottling(awsError(name))).toBe(true);
  });

  it("ignores non-errors and other names", () => {
    expect(isThrottling(undefined)).toBe(false);
    expect(isThrottling("ThrottlingException")).toBe(false);
    expect(isThrottling(awsError("ValidationException"))).toBe(false);
  });
});

describe("chunk and sortedUnique", () => {
  it("splits 120 into 50/50/20 and 45 into 20/20/5", () => {
    const ids = Array.from({ length: 120 }, (_, i) => String(i));
    expect(chunk(ids, 50).map((part) => part.length)).toEqual([50, 50, 20]);
    expect(chunk(ids.slice(0, 45), 20).map((part) => part.length)).toEqual([20, 20, 5]);
    expect(chunk([], 20)).toEqual([]);
    expect(() => chunk(ids, 0)).toThrow(RangeError);
  });

  it("sorts and de-duplicates", () => {
    expect(sortedUnique(["b", "a", "b"])).toEqual(["a", "b"]);
  });
});

describe("runObjectKey", () => {
  it.each([
    ["runs", "runs/r1/state.json"],
    ["/runs/", "runs/r1/state.json"],
    ["a/b", "a/b/r1/state.json"],
    ["", "r1/state.json"],
    ["/", "r1/state.json"],
  ])("prefix %j -> %s", (prefix, key) => {
    expect(runObjectKey(prefix, "r1", "state.json")).toBe(key);
  });
});

describe("TargetLocation rate patterns", () => {
  it("match the SSM API patterns", () => {
    expect(["1", "25", "1%", "10%", "99%", "100%"].every((v) => MAX_CONCURRENCY.test(v))).toBe(true);
    expect(["0", "0%", "100", "101%", "1.5"].filter((v) => MAX_CONCURRENCY.test(v))).toEqual(["100"]);
    expect(["0", "0%", "5%", "100%", "12"].every((v) => MAX_ERRORS.test(v))).toBe(true);
    expect(["00", "-1", "101%", "1000%"].some((v) => MAX_ERRORS.test(v))).toBe(false);
  });
});
