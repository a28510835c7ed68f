import { SSMClient, DescribeDocumentCommand } from "@aws-sdk/client-ssm";
import { DEFAULT_RATES, ORGANIZATIONS_RATE, RateLimiter, SSM_PER_ACCOUNT_REGION_RATE, STS_ASSUME_ROLE_RATE, rateLimited } from "../../lambdas/shared/rate-limit";
import { useFakeAwsEnv } from "../helpers/moto";
import { stubSend } from "./stub";

/** A virtual clock whose sleeps end in time order when `run` advances it. */
function virtualTime() {
  let clock = 0;
  const timers: { at: number; seq: number; resolve: () => void }[] = [];
  let seq = 0;
  return {
    now: () => clock,
    sleep: (ms: number) => new Promise<void>((resolve) => timers.push({ at: clock + ms, seq: seq++, resolve })),
    /** Sleeps that simply move the clock on (one caller at a time). */
    advancingSleep: async (ms: number) => void (clock += ms),
    set: (ms: number) => void (clock = ms),
    /** Runs until every caller finished, firing timers in time order. */
    async run<T>(work: Promise<T>): Promise<T> {
      let done = false;
      const result = work.finally(() => void (done = true));
      for (;;) {
        for (let i = 0; i < 20; i++) await Promise.resolve(); // let callers reach their next sleep
        if (done) return result;
        timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const next = timers.shift();
        if (next === undefined) throw new Error("deadlock: callers wait, no timer is pending");
        clock = Math.max(clock, next.at);
        next.resolve();
      }
    },
  };
}

describe("RateLimiter (token bucket per key)", () => {
  it("N calls at rate R take (N - burst) / R virtual seconds, one after another", async () => {
    const time = virtualTime();
    const limiter = new RateLimiter({ ratePerSecond: 10, burst: 1, now: time.now, sleep: time.advancingSleep });
    for (let i = 0; i < 50; i++) await limiter.take("111122223333|eu-west-1");
    expect(time.now()).toBe(4900); // 49 waits of 100 ms: ~N/R seconds
  });

  it("honours the burst, refills at the rate while idle, and never holds more than the burst", async () => {
    const time = virtualTime();
    const limiter = new RateLimiter({ ratePerSecond: 2, burst: 5, now: time.now, sleep: time.advancingSleep });
    for (let i = 0; i < 5; i++) await limiter.take("k");
    expect(time.now()).toBe(0); // the burst goes at once
    await limiter.take("k");
    expect(time.now()).toBe(500); // then one token per 1/R
    time.set(100_000); // a long quiet spell refills to the burst, no further
    for (let i = 0; i < 5; i++) await limiter.take("k");
    expect(time.now()).toBe(100_000);
    await limiter.take("k");
    expect(time.now()).toBe(100_500);
    time.set(101_500); // 1 s idle at 2/s: two tokens back, not five
    await limiter.take("k");
    await limiter.take("k");
    expect(time.now()).toBe(101_500);
    await limiter.take("k");
    expect(time.now()).toBe(102_000);
  });

  it("spaces concurrent callers of one key 1/R apart, in the order they called", async () => {
    const time = virtualTime();
    const limiter = new RateLimiter({ ratePerSecond: 4, burst: 2, now: time.now, sleep: time.sleep });
    const finished: { caller: number; at: number }[] = [];
    const callers = Array.from({ length: 10 }, (_, caller) => limiter.take("ssm").then(() => void finished.push({ caller, at: time.now() })));
    await time.run(Promise.all(callers));
    expect(finished.map((f) => f.caller)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(finished.map((f) => f.at)).toEqual([0, 0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000]);
  });

  it("keeps keys independent: an exhausted key does not slow another", async () => {
    const time = virtualTime();
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1, now: time.now, sleep: time.sleep });
    const finished: string[] = [];
    const a = [limiter.take("A"), limiter.take("A"), limiter.take("A")].map((p, i) => p.then(() => void finished.push(`A${i}@${time.now()}`)));
    const b = limiter.take("B").then(() => void finished.push(`B0@${time.now()}`));
    await time.run(Promise.all([...a, b]));
    expect(finished).toEqual(["A0@0", "B0@0", "A1@1000", "A2@2000"]);
  });

  it("refuses a rate or burst that cannot work", () => {
    expect(() => new RateLimiter({ ratePerSecond: 0, burst: 1 })).toThrow(/ratePerSecond/);
    expect(() => new RateLimiter({ ratePerSecond: Number.POSITIVE_INFINITY, burst: 1 })).toThrow(/ratePerSecond/);
    expect(() => new RateLimiter({ ratePerSecond: 1, burst: 0 })).toThrow(/burst/);
    expect(() => new RateLimiter({ ratePerSecond: 1, burst: 1.5 })).toThrow(/burst/);
  });

  it("waits for real with the default clock and sleep", async () => {
    const limiter = new RateLimiter({ ratePerSecond: 50, burst: 1 });
    const started = Date.now();
    await limiter.take("k");
    await limiter.take("k");
    expect(Date.now() - started).toBeGreaterThanOrEqual(15); // the second token is due 20 ms later
  });

  it("exports defaults a RateLimiter accepts", () => {
    expect(DEFAULT_RATES).toEqual({ stsAssumeRole: STS_ASSUME_ROLE_RATE, organizations: ORGANIZATIONS_RATE, ssmPerAccountRegion: SSM_PER_ACCOUNT_REGION_RATE });
    for (const rate of Object.values(DEFAULT_RATES)) {
      expect(() => new RateLimiter(rate)).not.toThrow();
    }
  });
});

describe("rateLimited", () => {
  let restoreEnv: () => void;
  beforeAll(() => {
    restoreEnv = useFakeAwsEnv();
  });
  afterAll(() => restoreEnv());

  it("takes a token before every send and leaves the rest of the client alone", async () => {
    const ssm = new SSMClient({ region: "eu-west-1" });
    const events: string[] = [];
    const limited = rateLimited(ssm, async () => void events.push("take"));
    // The stub replaces send after wrapping: the proxy still limits the replaced send.
    stubSend(ssm, (command) => {
      events.push(`send ${command.name}`);
      return { Document: { Name: command.input.Name } };
    });
    const answer = await limited.send(new DescribeDocumentCommand({ Name: "aft-fleet-example-agent" }));
    await limited.send(new DescribeDocumentCommand({ Name: "other" }));
    expect(answer).toEqual({ Document: { Name: "aft-fleet-example-agent" } });
    expect(events).toEqual(["take", "send DescribeDocument", "take", "send DescribeDocument"]);
    expect(limited.config).toBe(ssm.config);
    expect(await limited.config.region()).toBe("eu-west-1");
    expect(limited.middlewareStack).toBe(ssm.middlewareStack);
    expect(() => limited.destroy()).not.toThrow(); // methods keep their `this`
  });

  it("sends nothing when taking the token fails, and spaces calls through a limiter", async () => {
    const time = virtualTime();
    const ssm = new SSMClient({ region: "eu-west-1" });
    const sent = stubSend(ssm, () => ({}));
    const refused = rateLimited(ssm, async () => {
      throw new Error("deadline");
    });
    await expect(refused.send(new DescribeDocumentCommand({ Name: "x" }))).rejects.toThrow("deadline");
    expect(sent).toHaveLength(0);

    const limiter = new RateLimiter({ ratePerSecond: 10, burst: 1, now: time.now, sleep: time.advancingSleep });
    const limited = rateLimited(ssm, () => limiter.take("111122223333|eu-west-1"));
    for (let i = 0; i < 11; i++) await limited.send(new DescribeDocumentCommand({ Name: "x" }));
    expect(sent).toHaveLength(11);
    expect(time.now()).toBe(1000);
  });
});
