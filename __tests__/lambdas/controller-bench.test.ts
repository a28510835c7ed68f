import { pairKey } from "../../contract";
import { buildControllerBench, planControllerBench } from "../../scripts/bench-controller";

describe("controller planning at scale (10,000 accounts x 4 Regions)", () => {
  it("resolves, gates and diffs both rings in under 2 s, with the expected work", () => {
    const data = buildControllerBench(10_000);
    const started = process.hrtime.bigint();
    const out = planControllerBench(data);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;

    // The broad ring promotes: every one of its pairs is worked; the canary ring is steady: none is.
    expect(out.broad.gate).toEqual({ kind: "promotion", wanted: "1.1.0" });
    expect(out.canary.work).toEqual([]);
    expect(out.broad.work).toHaveLength(Object.keys(data.broad.ledger.pairs).length);
    expect(out.broad.work.length).toBeGreaterThan(39_000);
    // Canary accounts belong to canary only; the management account and SUSPENDED ones to neither.
    const canaryAccount = Object.values(data.canary.ledger.pairs)[0]!.account;
    expect(out.broad.ledger.pairs[pairKey(canaryAccount, "eu-west-1")]).toBeUndefined();
    expect(out.broad.ledger.pairs[pairKey("100000000000", "eu-west-1")]).toBeUndefined();
    expect(out.broad.ledger.pairs[pairKey("100000000500", "eu-west-1")]).toBeUndefined();
    // MaxConcurrency 10% of the ring's pairs.
    expect(out.starts).toHaveLength(Math.floor(out.broad.work.length / 10));
    expect(seconds).toBeLessThan(2);
  });
});
