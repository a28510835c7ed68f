import { RING_SPEC_SCHEMA_VERSION, type RingSpec, type RingTargets } from "../../contract";
import { accountsUnder, memoryOrg, resolveTargets, type OrgTree } from "../../lambdas/controller/targets";

const MGMT = "000000000001";
const ROOT = "r-ab12";

/*
 * root: MGMT, 100000000001
 *   ou-ab12-workload1: 200000000001, 200000000002 (SUSPENDED)
 *     ou-ab12-prodeu01: 300000000001, 300000000002
 *       ou-ab12-prodeu02: 400000000001 (PENDING_CLOSURE)
 *   ou-ab12-sandbox1: 500000000001
 */
const tree: OrgTree = {
  rootId: ROOT,
  ous: [
    { id: "ou-ab12-workload1", parent: ROOT },
    { id: "ou-ab12-prodeu01", parent: "ou-ab12-workload1" },
    { id: "ou-ab12-prodeu02", parent: "ou-ab12-prodeu01" },
    { id: "ou-ab12-sandbox1", parent: ROOT },
  ],
  accounts: [
    { id: MGMT, state: "ACTIVE", parent: ROOT },
    { id: "100000000001", state: "ACTIVE", parent: ROOT },
    { id: "200000000002", state: "SUSPENDED", parent: "ou-ab12-workload1" },
    { id: "200000000001", state: "ACTIVE", parent: "ou-ab12-workload1" },
    { id: "300000000002", state: "ACTIVE", parent: "ou-ab12-prodeu01" },
    { id: "300000000001", state: "ACTIVE", parent: "ou-ab12-prodeu01" },
    { id: "400000000001", state: "PENDING_CLOSURE", parent: "ou-ab12-prodeu02" },
    { id: "500000000001", state: "ACTIVE", parent: "ou-ab12-sandbox1" },
  ],
};
const org = memoryOrg(tree);

function spec(targets: Partial<RingTargets>, earlier: RingTargets[] = [], previousName?: string): RingSpec {
  return {
    schemaVersion: RING_SPEC_SCHEMA_VERSION,
    package: "agent",
    ring: "broad",
    ringIndex: earlier.length,
    release: "1.0.0",
    publishedVersions: ["1.0.0"],
    targets: { accounts: [], organizationalUnits: [], ...targets },
    earlierRingTargets: earlier,
    regions: ["eu-west-1"],
    managementAccount: MGMT,
    organizationId: "o-abcdefghij",
    ...(previousName ? { previous: { name: previousName, bakeSeconds: 0, alarms: [], maxErrors: "0" } } : {}),
    alarms: [],
    maxConcurrency: "10",
    maxErrors: "0",
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
  };
}

describe("resolveTargets", () => {
  it("walks OUs recursively and keeps ACTIVE accounts only, with the state as the reason", () => {
    const resolved = resolveTargets(spec({ organizationalUnits: ["ou-ab12-workload1"] }), org);
    expect(resolved.accounts).toEqual(["200000000001", "300000000001", "300000000002"]);
    expect(resolved.skipped).toEqual([
      { account: "200000000002", reason: "account state is SUSPENDED" },
      { account: "400000000001", reason: "account state is PENDING_CLOSURE" },
    ]);
  });

  it("never targets the management account found under an OU or the root", () => {
    const resolved = resolveTargets(spec({ organizationalUnits: [ROOT] }), org);
    expect(resolved.accounts).not.toContain(MGMT);
    expect(resolved.skipped).toContainEqual({ account: MGMT, reason: "management account" });
    expect(resolved.accounts).toEqual(["100000000001", "200000000001", "300000000001", "300000000002", "500000000001"]);
  });

  it("targets the management account when it is listed in targets.accounts", () => {
    const resolved = resolveTargets(spec({ organizationalUnits: [ROOT], accounts: [MGMT] }), org);
    expect(resolved.accounts).toContain(MGMT);
    expect(resolved.skipped.map((s) => s.account)).not.toContain(MGMT);
  });

  it("excludes accounts of earlier rings (OUs and listed), naming the ring; the first ring owns an account", () => {
    const canary: RingTargets = { accounts: ["500000000001"], organizationalUnits: ["ou-ab12-prodeu01"] };
    const pilot: RingTargets = { accounts: ["300000000001", "100000000001"], organizationalUnits: [] };
    const s = spec({ organizationalUnits: [ROOT] }, [canary, pilot]);
    const resolved = resolveTargets(s, org, { earlierRingNames: ["canary", "pilot"] });
    expect(resolved.accounts).toEqual(["200000000001"]);
    expect(resolved.skipped).toEqual([
      { account: MGMT, reason: "management account" },
      { account: "100000000001", reason: "owned by earlier ring pilot" },
      { account: "200000000002", reason: "account state is SUSPENDED" },
      { account: "300000000001", reason: "owned by earlier ring canary" },
      { account: "300000000002", reason: "owned by earlier ring canary" },
      { account: "400000000001", reason: "account state is PENDING_CLOSURE" },
      { account: "500000000001", reason: "owned by earlier ring canary" },
    ]);
  });

  it("names the previous ring from the spec when no names are given", () => {
    const s = spec({ accounts: ["100000000001"] }, [{ accounts: ["100000000001"], organizationalUnits: [] }], "canary");
    expect(resolveTargets(s, org).skipped).toEqual([{ account: "100000000001", reason: "owned by earlier ring canary" }]);
  });

  it("an earlier ring that walks the root does not own the management account it does not target", () => {
    const s = spec({ accounts: [MGMT] }, [{ accounts: [], organizationalUnits: [ROOT] }], "canary");
    expect(resolveTargets(s, org).accounts).toEqual([MGMT]);
  });

  it("skips listed accounts that are not in the organization and de-duplicates listed ones", () => {
    const resolved = resolveTargets(spec({ accounts: ["999999999999", "100000000001", "100000000001"], organizationalUnits: [ROOT] }), org);
    expect(resolved.accounts.filter((a) => a === "100000000001")).toHaveLength(1);
    expect(resolved.skipped).toContainEqual({ account: "999999999999", reason: "not in the organization" });
  });

  it("fails on an unknown OU", () => {
    expect(() => resolveTargets(spec({ organizationalUnits: ["ou-ab12-missing1"] }), org)).toThrow("unknown organizational unit ou-ab12-missing1");
  });

  it("walks a 5,000-level OU chain without recursion", () => {
    const ous = Array.from({ length: 5000 }, (_, i) => ({ id: `ou-deep-${String(i).padStart(8, "0")}`, parent: i === 0 ? ROOT : `ou-deep-${String(i - 1).padStart(8, "0")}` }));
    const deep = memoryOrg({ rootId: ROOT, ous, accounts: [{ id: "777777777777", state: "ACTIVE", parent: ous[ous.length - 1]!.id }] });
    expect([...accountsUnder(deep, [ROOT]).keys()]).toEqual(["777777777777"]);
  });

  it("is deterministic whatever the order of the input", () => {
    const shuffled = memoryOrg({ ...tree, accounts: [...tree.accounts].reverse() });
    const s = spec({ organizationalUnits: ["ou-ab12-sandbox1", ROOT, "ou-ab12-workload1"] });
    expect(resolveTargets(s, shuffled)).toEqual(resolveTargets(s, org));
    expect(resolveTargets(s, org).accounts).toEqual([...resolveTargets(s, org).accounts].sort());
  });
});
