import {
  emptyLedger,
  pairKey,
  RING_SPEC_SCHEMA_VERSION,
  type PairRecord,
  type PairStatus,
  type RingLedger,
  type RingSpec,
} from "../../contract";
import { buildSummary, gateRing, nextStarts, planRun, recordReached, type GateDecision } from "../../lambdas/controller/plan";

const NOW = new Date("2026-03-01T12:00:00.000Z");
const HOUR = 3600;
const REGIONS = ["eu-west-1", "us-east-1"];
const NONE: ReadonlySet<string> = new Set();

function account(i: number): string {
  return String(100000000000 + i);
}

function ringSpec(overrides: Partial<RingSpec> = {}): RingSpec {
  return {
    schemaVersion: RING_SPEC_SCHEMA_VERSION,
    package: "agent",
    ring: "broad",
    ringIndex: 1,
    release: "1.1.0",
    publishedVersions: ["1.0.0", "1.1.0", "1.2.0"],
    targets: { accounts: [], organizationalUnits: ["r-ab12"] },
    earlierRingTargets: [{ accounts: [], organizationalUnits: ["ou-ab12-canary01"] }],
    regions: REGIONS,
    managementAccount: "000000000001",
    organizationId: "o-abcdefghij",
    previous: { name: "canary", bakeSeconds: 24 * HOUR, alarms: ["canary-errors"], maxErrors: "0" },
    alarms: ["broad-errors"],
    maxConcurrency: "100%",
    maxErrors: "10%",
    versionRetention: 25,
    store: { bucket: "store", region: "eu-west-1" },
    association: {
      name: "aft-fleet-agent",
      action: "Install",
      installationType: "Uninstall and reinstall",
      additionalArguments: {},
      targets: [{ Key: "InstanceIds", Values: ["*"] }],
      scheduleExpression: "rate(30 minutes)",
      maxConcurrency: "10%",
      maxErrors: "10%",
      complianceSeverity: "HIGH",
    },
    ...overrides,
  };
}

function pair(acct: string, region: string, status: PairStatus, wanted?: string, extra: Partial<PairRecord> = {}): PairRecord {
  return {
    account: acct,
    region,
    status,
    ...(wanted === undefined ? {} : { wanted }),
    ...(status === "Succeeded" && wanted !== undefined ? { applied: wanted } : {}),
    updatedAt: "2026-02-01T00:00:00.000Z",
    attempts: status === "NotStarted" ? 0 : 1,
    ...extra,
  };
}

/** A ledger with every account x REGIONS in `status` at `version`. */
function ledger(ring: string, accounts: string[], status: PairStatus, version?: string, reached: Record<string, string> = {}, regions = REGIONS): RingLedger {
  const pairs: Record<string, PairRecord> = {};
  for (const a of accounts) for (const r of regions) pairs[pairKey(a, r)] = pair(a, r, status, version);
  return { ...emptyLedger("agent", ring), ...(version === undefined ? {} : { ringVersion: version }), reached, pairs };
}

function withPairs(base: RingLedger, ...records: PairRecord[]): RingLedger {
  const pairs = { ...base.pairs };
  for (const p of records) pairs[pairKey(p.account, p.region)] = p;
  return { ...base, pairs };
}

const iso = (secondsBeforeNow: number): string => new Date(NOW.getTime() - secondsBeforeNow * 1000).toISOString();
const canaryAccounts = [account(900), account(901)];
const broadAccounts = [account(1), account(2), account(3)];
/** Canary at 1.1.0 since `secondsAgo` (reached then). */
const canaryAt = (version: string, secondsAgo: number): RingLedger => ledger("canary", canaryAccounts, "Succeeded", version, { [version]: iso(secondsAgo) });
const broadAt100 = ledger("broad", broadAccounts, "Succeeded", "1.0.0", { "1.0.0": iso(30 * 24 * HOUR) });
const keysOf = (accounts: string[], regions = REGIONS): string[] => accounts.flatMap((a) => regions.map((r) => pairKey(a, r)));

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

describe("gateRing: which version a ring may run", () => {
  const cases: {
    name: string;
    spec?: Partial<RingSpec>;
    own?: RingLedger;
    previous: RingLedger | undefined;
    alarms?: string[];
    expected: GateDecision;
  }[] = [
    {
      name: "canary has not reached the release: broad keeps its version",
      previous: { ...ledger("canary", canaryAccounts, "Pending", "1.1.0"), reached: { "1.0.0": iso(40 * 24 * HOUR) } },
      expected: { kind: "hold", wanted: "1.0.0", blockedBy: "waiting for ring canary to reach 1.1.0" },
    },
    {
      name: "no ledger for canary yet: broad keeps its version",
      previous: undefined,
      expected: { kind: "hold", wanted: "1.0.0", blockedBy: "waiting for ring canary to reach 1.1.0" },
    },
    {
      name: "canary reached the release but the bake (24 h) is not over",
      previous: canaryAt("1.1.0", 23 * HOUR),
      expected: {
        kind: "hold",
        wanted: "1.0.0",
        blockedBy: `baking: ring canary reached 1.1.0 at ${iso(23 * HOUR)}; bake ends at ${iso(-1 * HOUR)}`,
      },
    },
    {
      name: "bake over: broad takes the release",
      previous: canaryAt("1.1.0", 24 * HOUR),
      expected: { kind: "promotion", wanted: "1.1.0" },
    },
    {
      name: "bake over but a previous-ring alarm is in ALARM: no promotion",
      previous: canaryAt("1.1.0", 48 * HOUR),
      alarms: ["canary-errors", "unrelated"],
      expected: { kind: "hold", wanted: "1.0.0", blockedBy: "alarm canary-errors of ring canary is in ALARM" },
    },
    {
      name: "an alarm of another ring does not block",
      previous: canaryAt("1.1.0", 48 * HOUR),
      alarms: ["unrelated"],
      expected: { kind: "promotion", wanted: "1.1.0" },
    },
    {
      name: "canary reached the release once but is pinned back now: broad waits",
      previous: { ...canaryAt("1.1.0", 48 * HOUR), ringVersion: "1.0.0" },
      expected: { kind: "hold", wanted: "1.0.0", blockedBy: "waiting for ring canary to reach 1.1.0" },
    },
    {
      name: "rollback skips the bake and the alarms once canary reached the older release",
      spec: { release: "1.0.0" },
      own: ledger("broad", broadAccounts, "Succeeded", "1.1.0"),
      previous: canaryAt("1.0.0", 1),
      alarms: ["canary-errors"],
      expected: { kind: "rollback", wanted: "1.0.0" },
    },
    {
      name: "rollback still goes through the rings in order",
      spec: { release: "1.0.0" },
      own: ledger("broad", broadAccounts, "Succeeded", "1.1.0"),
      previous: { ...ledger("canary", canaryAccounts, "Pending", "1.0.0") },
      expected: { kind: "hold", wanted: "1.1.0", blockedBy: "waiting for ring canary to reach 1.0.0" },
    },
    {
      name: "pin applies at once, whatever the gates",
      spec: { pin: "1.2.0" },
      previous: undefined,
      alarms: ["canary-errors", "broad-errors"],
      expected: { kind: "pin", wanted: "1.2.0" },
    },
    {
      name: "the first ring takes the release without gates",
      spec: { ring: "canary", ringIndex: 0, earlierRingTargets: [], previous: undefined },
      own: ledger("canary", canaryAccounts, "Succeeded", "1.0.0"),
      previous: undefined,
      expected: { kind: "promotion", wanted: "1.1.0" },
    },
    {
      name: "a ring without a version waits with no version while the gate is closed",
      own: emptyLedger("agent", "broad"),
      previous: canaryAt("1.1.0", HOUR),
      expected: { kind: "hold", blockedBy: `baking: ring canary reached 1.1.0 at ${iso(HOUR)}; bake ends at ${iso(-23 * HOUR)}` },
    },
    {
      name: "a ring without a version takes the release once the gate opens",
      own: emptyLedger("agent", "broad"),
      previous: canaryAt("1.1.0", 25 * HOUR),
      expected: { kind: "initial", wanted: "1.1.0" },
    },
    {
      name: "a ring already at the release stays there whatever happens to canary",
      own: ledger("broad", broadAccounts, "Succeeded", "1.1.0"),
      previous: undefined,
      alarms: ["canary-errors"],
      expected: { kind: "steady", wanted: "1.1.0" },
    },
    {
      name: "a release that is not in the store is not taken",
      spec: { publishedVersions: ["1.0.0"] },
      previous: canaryAt("1.1.0", 48 * HOUR),
      expected: { kind: "hold", wanted: "1.0.0", blockedBy: "release 1.1.0 is not published to the package store" },
    },
  ];

  it.each(cases)("$name", ({ spec, own, previous, alarms, expected }) => {
    expect(gateRing(ringSpec(spec), own ?? broadAt100, previous, new Set(alarms ?? []), NOW)).toEqual(expected);
  });

  it("rejects the ledger of another ring as the previous ledger", () => {
    expect(() => gateRing(ringSpec(), broadAt100, ledger("pilot", [], "Succeeded", "1.1.0"), NONE, NOW)).toThrow("expected ring canary");
  });
});

describe("planRun: the diff against the ledger", () => {
  const promote = canaryAt("1.1.0", 48 * HOUR);
  const steady = (accounts: string[]): RingLedger => ledger("broad", accounts, "Succeeded", "1.1.0", { "1.1.0": iso(HOUR) });

  it("leaves the ring untouched while canary has not reached the release", () => {
    const plan = planRun(ringSpec(), broadAt100, ledger("canary", canaryAccounts, "Pending", "1.1.0"), { accounts: broadAccounts }, NONE, NOW);
    expect(plan.work).toEqual([]);
    expect(plan.ledger.pairs).toEqual(broadAt100.pairs);
    expect(plan.ledger.ringVersion).toBe("1.0.0");
  });

  it("puts every pair in the work list with the release once the gate opens, attempts reset", () => {
    const plan = planRun(ringSpec(), broadAt100, promote, { accounts: broadAccounts }, NONE, NOW);
    expect(plan.gate.kind).toBe("promotion");
    expect(plan.ledger.ringVersion).toBe("1.1.0");
    expect(plan.work).toEqual(keysOf(broadAccounts));
    for (const key of plan.work) {
      expect(plan.ledger.pairs[key]).toMatchObject({ wanted: "1.1.0", applied: "1.0.0", status: "NotStarted", attempts: 0, updatedAt: NOW.toISOString() });
    }
  });

  // 1,000 accounts x 4 Regions, 3 accounts changed: exactly their 3 x 4 pairs are worked; the
  // 3,988 unchanged Succeeded pairs cost nothing.
  const regions4 = ["ap-southeast-2", "eu-west-1", "us-east-1", "us-west-2"];
  const thousand = Array.from({ length: 1000 }, (_, i) => account(i));
  const changed = [account(17), account(500), account(999)];
  const variants: { name: string; change: (l: RingLedger) => RingLedger; targets?: string[] }[] = [
    { name: "new accounts", change: (l) => ({ ...l, pairs: Object.fromEntries(Object.entries(l.pairs).filter(([, p]) => !changed.includes(p.account))) }) },
    { name: "Failed pairs", change: (l) => withPairs(l, ...keysOf(changed, regions4).map((k) => ({ ...l.pairs[k]!, status: "Failed" as const, applied: "1.0.0", error: "boom" }))) },
    { name: "NotReady pairs", change: (l) => withPairs(l, ...keysOf(changed, regions4).map((k) => ({ ...l.pairs[k]!, status: "NotReady" as const, applied: undefined }))) },
    { name: "Pending pairs", change: (l) => withPairs(l, ...keysOf(changed, regions4).map((k) => ({ ...l.pairs[k]!, status: "Pending" as const }))) },
    { name: "pairs wanting another version", change: (l) => withPairs(l, ...keysOf(changed, regions4).map((k) => ({ ...l.pairs[k]!, wanted: "1.0.0" }))) },
  ];
  it.each(variants)("1,000 accounts x 4 Regions with 3 changed ($name): exactly those 12 pairs are worked", ({ change }) => {
    const full = ledger("broad", thousand, "Succeeded", "1.1.0", { "1.1.0": iso(HOUR) }, regions4);
    const plan = planRun(ringSpec({ regions: regions4 }), change(full), promote, { accounts: thousand }, NONE, NOW);
    expect(plan.work).toEqual(keysOf(changed, regions4));
    expect(plan.work).toHaveLength(12);
  });

  it("adds a new account as NotStarted pairs in the work list", () => {
    const plan = planRun(ringSpec(), steady(broadAccounts), promote, { accounts: [...broadAccounts, account(4)] }, NONE, NOW);
    expect(plan.work).toEqual(keysOf([account(4)]));
    expect(plan.ledger.pairs[pairKey(account(4), "eu-west-1")]).toEqual({
      account: account(4),
      region: "eu-west-1",
      wanted: "1.1.0",
      status: "NotStarted",
      attempts: 0,
      updatedAt: NOW.toISOString(),
    });
  });

  it("marks the pairs of a removed account Skipped ('no longer targeted'), uninstalls nothing and does not work them", () => {
    const plan = planRun(ringSpec(), steady(broadAccounts), promote, { accounts: [account(1), account(3)] }, NONE, NOW);
    expect(plan.work).toEqual([]);
    for (const region of REGIONS) {
      expect(plan.ledger.pairs[pairKey(account(2), region)]).toMatchObject({ status: "Skipped", error: "no longer targeted", applied: "1.1.0" });
    }
    // Skipped pairs are out of the ring's totals.
    expect(plan.ledger.reached["1.1.0"]).toBe(iso(HOUR));
  });

  it("works an account again when it comes back after being Skipped", () => {
    const first = planRun(ringSpec(), steady(broadAccounts), promote, { accounts: [account(1)] }, NONE, NOW);
    const again = planRun(ringSpec(), first.ledger, promote, { accounts: [account(1), account(2)] }, NONE, NOW);
    expect(again.work).toEqual(keysOf([account(2)]));
    expect(again.ledger.pairs[pairKey(account(2), "eu-west-1")]).toMatchObject({ status: "NotStarted", wanted: "1.1.0", attempts: 0 });
    expect(again.ledger.pairs[pairKey(account(2), "eu-west-1")]?.error).toBeUndefined();
  });

  it("retries Failed and NotReady pairs: back to NotStarted, keeping the last error and attempts", () => {
    const failed = pair(account(1), "eu-west-1", "Failed", "1.1.0", { error: "AccessDenied", attempts: 2 });
    const notReady = pair(account(2), "us-east-1", "NotReady", "1.1.0", { error: "AssumeRole failed" });
    const plan = planRun(ringSpec(), withPairs(steady(broadAccounts), failed, notReady), promote, { accounts: broadAccounts }, NONE, NOW);
    expect(plan.work).toEqual([pairKey(account(1), "eu-west-1"), pairKey(account(2), "us-east-1")]);
    expect(plan.ledger.pairs[pairKey(account(1), "eu-west-1")]).toMatchObject({ status: "NotStarted", error: "AccessDenied", attempts: 2 });
    expect(plan.ledger.pairs[pairKey(account(2), "us-east-1")]).toMatchObject({ status: "NotStarted", error: "AssumeRole failed" });
    expect(nextStarts(plan.ledger, plan.work, ringSpec())).toEqual(plan.work);
  });

  it("keeps pairs NotStarted without a version while the ring has none; the summary says why", () => {
    const spec = ringSpec();
    const plan = planRun(spec, emptyLedger("agent", "broad"), ledger("canary", canaryAccounts, "Pending", "1.1.0"), { accounts: [account(1)] }, NONE, NOW);
    expect(plan.work).toEqual([]);
    expect(plan.ledger.ringVersion).toBeUndefined();
    expect(plan.ledger.pairs[pairKey(account(1), "eu-west-1")]).toEqual({ account: account(1), region: "eu-west-1", status: "NotStarted", attempts: 0, updatedAt: NOW.toISOString() });
    const summary = buildSummary("run-1", spec, plan.ledger, plan.work, plan.gate, true);
    expect(summary.results.map((r) => [r.status, r.reason])).toEqual([
      ["NotStarted", "waiting for ring canary to reach 1.1.0"],
      ["NotStarted", "waiting for ring canary to reach 1.1.0"],
    ]);
    expect(summary.version).toBeUndefined();
    expect(summary.gate).toBe("waiting for ring canary to reach 1.1.0");
  });

  it("gives new pairs the ring's current version while the gate holds the release back", () => {
    const plan = planRun(ringSpec(), broadAt100, undefined, { accounts: [...broadAccounts, account(4)] }, NONE, NOW);
    expect(plan.gate.kind).toBe("hold");
    expect(plan.work).toEqual(keysOf([account(4)]));
    expect(plan.ledger.pairs[pairKey(account(4), "us-east-1")]?.wanted).toBe("1.0.0");
  });

  it("forgets a stale reached time when the ring takes that version again, so it is reached and baked anew", () => {
    const back = { ...canaryAt("1.0.0", 30 * 24 * HOUR), reached: { "1.0.0": iso(60 * 24 * HOUR), "1.1.0": iso(30 * 24 * HOUR) } };
    const canarySpec = ringSpec({ ring: "canary", ringIndex: 0, earlierRingTargets: [], previous: undefined });
    const plan = planRun(canarySpec, back, undefined, { accounts: canaryAccounts }, NONE, NOW);
    expect(plan.gate.kind).toBe("promotion");
    expect(plan.ledger.reached).toEqual({ "1.0.0": iso(60 * 24 * HOUR) });
  });

  it("is deterministic: shuffled inputs give the same ledger (sorted pairs) and a sorted work list", () => {
    const base = ledger("broad", broadAccounts, "Succeeded", "1.0.0");
    const shuffled: RingLedger = { ...base, pairs: Object.fromEntries(Object.entries(base.pairs).reverse()) };
    const a = planRun(ringSpec(), base, promote, { accounts: [account(9), ...broadAccounts] }, NONE, NOW);
    const b = planRun(ringSpec({ regions: [...REGIONS].reverse() }), shuffled, promote, { accounts: [...broadAccounts].reverse().concat(account(9)) }, NONE, NOW);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(a.work).toEqual([...a.work].sort());
    expect(Object.keys(a.ledger.pairs)).toEqual([...Object.keys(a.ledger.pairs)].sort());
  });

  it("never mutates its inputs", () => {
    const own = deepFreeze(withPairs(ledger("broad", broadAccounts, "Succeeded", "1.0.0", { "1.1.0": iso(99) }), pair(account(1), "eu-west-1", "Failed", "1.0.0", { error: "x" })));
    const prev = deepFreeze(promote);
    const before = JSON.stringify(own);
    expect(() => planRun(ringSpec(), own, prev, deepFreeze({ accounts: [account(1), account(4)] }), NONE, NOW)).not.toThrow();
    expect(JSON.stringify(own)).toBe(before);
  });

  it("refuses a ledger of another ring", () => {
    expect(() => planRun(ringSpec(), emptyLedger("agent", "pilot"), undefined, { accounts: [] }, NONE, NOW)).toThrow("does not belong");
  });
});

describe("nextStarts: ring-wide rate control", () => {
  // 20 accounts x 2 Regions = 40 pairs.
  const twenty = Array.from({ length: 20 }, (_, i) => account(i));
  const allKeys = keysOf(twenty);
  const fresh = (overrides: Partial<RingSpec> = {}): { spec: RingSpec; l: RingLedger } => ({
    spec: ringSpec({ maxConcurrency: "10%", maxErrors: "0", ...overrides }),
    l: ledger("broad", twenty, "NotStarted", "1.1.0"),
  });

  // SSM MaxConcurrency "10%": 10 % of the targets at once (rounded down, at least one), counted over
  // the ring as a whole, with pairs still Pending holding their slots.
  it.each([
    { pending: 0, starts: 4 },
    { pending: 3, starts: 1 },
    { pending: 4, starts: 0 },
    { pending: 6, starts: 0 },
  ])("MaxConcurrency 10% of 40 pairs with $pending Pending starts $starts", ({ pending, starts }) => {
    const { spec, l } = fresh();
    const busy = withPairs(l, ...allKeys.slice(allKeys.length - pending).map((k) => ({ ...l.pairs[k]!, status: "Pending" as const })));
    const picked = nextStarts(busy, allKeys, spec);
    expect(picked).toHaveLength(starts);
    expect(picked).toEqual(allKeys.slice(0, starts));
  });

  it("picks the first pairs by account then Region whatever the order of the work list", () => {
    const { spec, l } = fresh();
    expect(nextStarts(l, [...allKeys].reverse(), spec)).toEqual(allKeys.slice(0, 4));
  });

  it("never has more than 4 of 40 pairs in flight over a whole run", () => {
    const { spec, l } = fresh({ maxErrors: "100%" });
    let current = l;
    let maxInFlight = 0;
    for (let pass = 0; pass < 40; pass++) {
      const starts = nextStarts(current, allKeys, spec);
      const pairs = { ...current.pairs };
      // Pairs started last pass finish now; this pass's starts become Pending.
      for (const [k, p] of Object.entries(pairs)) if (p.status === "Pending") pairs[k] = { ...p, status: "Succeeded", applied: p.wanted! };
      for (const k of starts) pairs[k] = { ...pairs[k]!, status: "Pending" };
      current = { ...current, pairs };
      maxInFlight = Math.max(maxInFlight, Object.values(pairs).filter((p) => p.status === "Pending").length);
    }
    expect(maxInFlight).toBe(4);
    expect(Object.values(current.pairs).every((p) => p.status === "Succeeded")).toBe(true);
  });

  // SSM MaxErrors: "the system stops sending the command to additional targets after the number of
  // errors exceeds the value of MaxErrors"; with 0 it stops after the first error.
  it.each([
    { maxErrors: "0", failed: 1, halted: true },
    { maxErrors: "0", failed: 0, halted: false },
    { maxErrors: "1", failed: 1, halted: false },
    { maxErrors: "1", failed: 2, halted: true },
    { maxErrors: "5%", failed: 2, halted: false },
    { maxErrors: "5%", failed: 3, halted: true },
  ])("ring-wide MaxErrors $maxErrors with $failed failed pairs: halted $halted", ({ maxErrors, failed, halted }) => {
    const { spec, l } = fresh({ maxErrors, maxConcurrency: "100%" });
    const failing = withPairs(l, ...allKeys.slice(0, failed).map((k) => ({ ...l.pairs[k]!, status: "Failed" as const, error: "boom" })));
    expect(nextStarts(failing, allKeys, spec)).toHaveLength(halted ? 0 : 40 - failed);
    const summary = buildSummary("run", spec, failing, allKeys, { kind: "promotion", wanted: "1.1.0" }, true);
    if (halted) expect(summary.gate).toMatch(/^ring halted: \d+ failed of 40 pairs exceed MaxErrors/);
    else expect(summary.gate).toBeUndefined();
  });

  it("does not count failures of an older version or NotReady pairs against the budget", () => {
    const { spec, l } = fresh();
    const old = withPairs(
      l,
      pair(account(0), "eu-west-1", "Failed", "1.0.0", { error: "old" }),
      pair(account(0), "us-east-1", "NotReady", "1.1.0", { error: "no role" }),
    );
    expect(nextStarts(old, allKeys, spec)).toHaveLength(4);
  });

  it("starts nothing new while one of the ring's own alarms is in ALARM, but lets pairs move back", () => {
    const { spec, l } = fresh({ maxConcurrency: "100%" });
    const rollback = pair(account(5), "eu-west-1", "NotStarted", "1.0.0", { applied: "1.1.0" });
    const alarmed = withPairs(l, rollback);
    expect(nextStarts(alarmed, allKeys, spec, new Set(["broad-errors"]))).toEqual([pairKey(account(5), "eu-west-1")]);
    expect(nextStarts(l, allKeys, spec, new Set(["broad-errors"]))).toEqual([]);
    expect(nextStarts(l, allKeys, spec, new Set(["canary-errors"]))).toHaveLength(40);
  });

  it("planRun reports the ring's own alarm as the reason nothing new starts; read-backs stay in the work list", () => {
    const spec = ringSpec();
    const own = withPairs(ledger("broad", broadAccounts, "Succeeded", "1.1.0"), pair(account(1), "eu-west-1", "Pending", "1.1.0"));
    const plan = planRun(spec, own, canaryAt("1.1.0", 48 * HOUR), { accounts: [...broadAccounts, account(4)] }, new Set(["broad-errors"]), NOW);
    expect(plan.halted).toBe("alarm broad-errors of ring broad is in ALARM: no new starts");
    expect(plan.work).toEqual([pairKey(account(1), "eu-west-1"), ...keysOf([account(4)])]);
    expect(nextStarts(plan.ledger, plan.work, spec, new Set(["broad-errors"]))).toEqual([]);
  });

  it("only starts NotStarted pairs of the work list (a pair that failed during this run waits for the next run)", () => {
    const { spec, l } = fresh({ maxErrors: "100%", maxConcurrency: "100%" });
    const mixed = withPairs(l, { ...l.pairs[allKeys[0]!]!, status: "Failed" }, { ...l.pairs[allKeys[1]!]!, status: "NotReady" });
    expect(nextStarts(mixed, allKeys.slice(0, 3), spec)).toEqual([allKeys[2]]);
  });
});

describe("recordReached", () => {
  const spec = ringSpec({ maxErrors: "1" });
  const base = ledger("broad", broadAccounts, "Succeeded", "1.1.0"); // 6 pairs

  it.each([
    { name: "all succeeded", change: [] as PairRecord[], reached: true },
    { name: "one failed, within MaxErrors 1", change: [pair(account(1), "eu-west-1", "Failed", "1.1.0")], reached: true },
    { name: "two failed, over MaxErrors 1", change: [pair(account(1), "eu-west-1", "Failed", "1.1.0"), pair(account(2), "eu-west-1", "Failed", "1.1.0")], reached: false },
    { name: "one Pending", change: [pair(account(1), "eu-west-1", "Pending", "1.1.0")], reached: false },
    { name: "one NotReady (not a success)", change: [pair(account(1), "eu-west-1", "NotReady", "1.1.0")], reached: true },
    {
      name: "two NotReady (neither counts as succeeded)",
      change: [pair(account(1), "eu-west-1", "NotReady", "1.1.0"), pair(account(2), "eu-west-1", "NotReady", "1.1.0")],
      reached: false,
    },
    { name: "one succeeded at an older version", change: [pair(account(1), "eu-west-1", "Succeeded", "1.0.0"), pair(account(2), "eu-west-1", "Succeeded", "1.0.0")], reached: false },
    { name: "Skipped pairs are outside the total", change: [pair(account(1), "eu-west-1", "Skipped", "1.0.0"), pair(account(2), "eu-west-1", "Skipped")], reached: true },
  ])("$name -> reached $reached", ({ change, reached }) => {
    const result = recordReached(withPairs(base, ...change), spec, NOW);
    expect(result.reached["1.1.0"]).toBe(reached ? NOW.toISOString() : undefined);
  });

  it("records the first time only", () => {
    const once = recordReached(base, spec, NOW);
    const later = recordReached(once, spec, new Date(NOW.getTime() + 1000));
    expect(later.reached).toEqual({ "1.1.0": NOW.toISOString() });
    expect(later).toBe(once);
  });
});

describe("buildSummary", () => {
  it("reports every status with counts, reasons and results sorted by account then Region", () => {
    const spec = ringSpec({ regions: ["us-east-1", "eu-west-1"], maxErrors: "1" });
    const l = withPairs(
      emptyLedger("agent", "broad"),
      pair(account(3), "us-east-1", "Succeeded", "1.1.0"),
      pair(account(3), "eu-west-1", "Failed", "1.1.0", { error: "InvalidDocument: bad" }),
      pair(account(2), "us-east-1", "Pending", "1.1.0"),
      pair(account(2), "eu-west-1", "NotReady", "1.1.0", { error: "AccessDenied: sts:AssumeRole" }),
      pair(account(1), "us-east-1", "Skipped", "1.0.0", { error: "no longer targeted" }),
      pair(account(1), "eu-west-1", "NotStarted", "1.1.0"),
    );
    const summary = buildSummary("run-7", spec, { ...l, ringVersion: "1.1.0" }, [pairKey(account(1), "eu-west-1")], { kind: "promotion", wanted: "1.1.0" }, false, {
      skipped: [{ account: account(0), reason: "account state is SUSPENDED" }],
    });
    expect(summary).toEqual({
      runId: "run-7",
      package: "agent",
      ring: "broad",
      version: "1.1.0",
      final: false,
      counts: { Succeeded: 1, Failed: 1, InProgress: 1, NotStarted: 1, NotReady: 1, Skipped: 3 },
      results: [
        { account: account(0), region: "eu-west-1", status: "Skipped", reason: "account state is SUSPENDED" },
        { account: account(0), region: "us-east-1", status: "Skipped", reason: "account state is SUSPENDED" },
        { account: account(1), region: "eu-west-1", status: "NotStarted", version: "1.1.0", reason: "not started yet (ring-wide MaxConcurrency 100%)" },
        { account: account(1), region: "us-east-1", status: "Skipped", reason: "no longer targeted" },
        { account: account(2), region: "eu-west-1", status: "NotReady", version: "1.1.0", reason: "AccessDenied: sts:AssumeRole" },
        { account: account(2), region: "us-east-1", status: "InProgress", version: "1.1.0" },
        { account: account(3), region: "eu-west-1", status: "Failed", version: "1.1.0", reason: "InvalidDocument: bad" },
        { account: account(3), region: "us-east-1", status: "Succeeded", version: "1.1.0" },
      ],
    });
  });

  it("explains NotStarted pairs held by the ring's own alarm", () => {
    const spec = ringSpec();
    const l = ledger("broad", [account(1)], "NotStarted", "1.1.0");
    const summary = buildSummary("r", spec, l, keysOf([account(1)]), { kind: "steady", wanted: "1.1.0" }, true, { alarmsInAlarm: new Set(["broad-errors"]) });
    expect(summary.results.map((r) => r.reason)).toEqual([
      "alarm broad-errors of ring broad is in ALARM: no new starts",
      "alarm broad-errors of ring broad is in ALARM: no new starts",
    ]);
    expect(summary.gate).toBe("alarm broad-errors of ring broad is in ALARM: no new starts");
  });
});

describe("a held halt (the ring stopped at its error budget and nobody acknowledged it)", () => {
  // Ring-wide MaxErrors as SSM applies it ("stops sending the command to additional targets after the
  // number of errors exceeds the value of MaxErrors", Systems Manager User Guide, rate controls), held
  // across runs: the next hourly run must not send the same version to another wave.
  const spec = ringSpec({ ringIndex: 0, maxErrors: "0", maxConcurrency: "100%" });
  const { previous: _previous, ...first } = spec;
  const halt = { version: "1.1.0", at: iso(HOUR), reason: "ring halted: 1 failed of 6 pairs exceed MaxErrors 0 (0 allowed)" };
  const [a, b, c] = broadAccounts as [string, string, string];
  const heldLedger: RingLedger = {
    ...withPairs(
      ledger("broad", broadAccounts, "NotStarted", "1.1.0"),
      pair(a, "eu-west-1", "Failed", "1.1.0", { error: "association failed" }),
      pair(a, "us-east-1", "Succeeded", "1.1.0"),
      pair(b, "eu-west-1", "Pending", "1.1.0"),
      pair(b, "us-east-1", "NotReady", "1.1.0", { error: "role not there yet" }),
    ),
    ringVersion: "1.1.0",
    halt,
  };
  const targets = { accounts: broadAccounts };

  it("retries only the failed pairs (and reads back Pending ones); never-started and NotReady pairs wait", () => {
    const planned = planRun(first, deepFreeze(heldLedger), undefined, targets, NONE, NOW);
    expect(planned.work).toEqual([pairKey(a, "eu-west-1"), pairKey(b, "eu-west-1")]);
    expect(planned.ledger.halt).toEqual(halt);
    expect(planned.ledger.pairs[pairKey(a, "eu-west-1")]).toMatchObject({ status: "NotStarted", error: "association failed", attempts: 1 });
    expect(planned.ledger.pairs[pairKey(b, "us-east-1")]!.status).toBe("NotReady");
    expect(planned.halted).toContain("ring held since");
    // Only the retry may start, even with free slots and the never-started pairs in the work list.
    const work = [...planned.work, pairKey(c, "eu-west-1"), pairKey(c, "us-east-1")];
    expect(nextStarts(planned.ledger, work, first)).toEqual([pairKey(a, "eu-west-1")]);
  });

  it("a new account targeted while the ring is held is recorded but not started", () => {
    const planned = planRun(first, heldLedger, undefined, { accounts: [...broadAccounts, account(7)] }, NONE, NOW);
    expect(planned.ledger.pairs[pairKey(account(7), "eu-west-1")]).toMatchObject({ status: "NotStarted", wanted: "1.1.0" });
    expect(planned.work).not.toContain(pairKey(account(7), "eu-west-1"));
  });

  it("is cleared by a resume value the halt was not recorded with, or by another version (a rollback)", () => {
    const resumed = planRun({ ...first, resume: "CHG-1234" }, heldLedger, undefined, targets, NONE, NOW);
    expect(resumed.ledger.halt).toBeUndefined();
    expect(resumed.work).toEqual(expect.arrayContaining([pairKey(c, "eu-west-1"), pairKey(b, "us-east-1")]));
    const rolledBack = planRun({ ...first, release: "1.0.0" }, heldLedger, undefined, targets, NONE, NOW);
    expect(rolledBack.ledger.halt).toBeUndefined();
    expect(rolledBack.work).toHaveLength(6);
    // The same resume value as recorded keeps holding.
    const same = planRun({ ...first, resume: "CHG-1234" }, { ...heldLedger, halt: { ...halt, resume: "CHG-1234" } }, undefined, targets, NONE, NOW);
    expect(same.ledger.halt?.resume).toBe("CHG-1234");
    expect(same.work).toEqual([pairKey(a, "eu-west-1"), pairKey(b, "eu-west-1")]);
  });
});
