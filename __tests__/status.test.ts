/**
 * `aft-fleet status` against moto: ledgers and summaries written by the controller's own runStep (as in
 * controller-fleet-speed.test.ts), read back by the status command through an S3 client that S3's
 * authorization judges against the read-only policy the README documents (statusReadPolicy).
 */
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { emptyLedger, ledgerKey, ringSpecKey, versionPrefix, type ControllerEvent, type RingSpec } from "../contract";
import { runStep, type ControllerDeps } from "../lambdas/controller";
import { s3ClientConfig } from "../lambdas/shared/clients";
import { fleetStatus, progressBar, renderStatus, statusReadPolicy } from "../modules/status";
import { main, parseStatusArgs } from "../scripts/status";
import { motoAvailable } from "./helpers/moto";
import { CENTRAL_REGION, useControllerWorld } from "./lambdas/controller-world";
import { manifestOf, packageRingSpec } from "./lambdas/ring-fixtures";
import { enforceS3Policy, type IamPolicy, type S3Decision } from "./lambdas/stub";
import type { SsmStub } from "./lambdas/ssm-association-stub";
import type { SSMClient } from "@aws-sdk/client-ssm";

const REGIONS = ["eu-west-1", "us-east-1"];
const BUCKET = "aft-fleet-store-status";
const PKG = "example-agent";
const NOW = new Date("2026-11-20T10:00:00.000Z");
const HOUR = 3600_000;
const DAY_S = 86_400;


function specOf(ring: string, ringIndex: number, ouId: string, overrides: Partial<RingSpec> = {}): RingSpec {
  return packageRingSpec({ bucket: BUCKET, packageName: PKG, ring, regions: REGIONS, ouId }, { ringIndex, maxConcurrency: "2", ...overrides });
}

describe("parseStatusArgs", () => {
  it("takes --bucket, --profile, --region, --failed and --json once each, and refuses the rest with the field", () => {
    expect(parseStatusArgs(["--bucket", "my-store", "--profile", "ops", "--region", "eu-west-1", "--failed", "--json"])).toEqual({
      bucket: "my-store",
      profile: "ops",
      region: "eu-west-1",
      failed: true,
      json: true,
      help: false,
    });
    expect(() => parseStatusArgs([])).toThrow("--bucket is required");
    expect(() => parseStatusArgs(["my-store"])).toThrow('unexpected argument "my-store" (did you mean --bucket my-store?)');
    expect(() => parseStatusArgs(["--bucket", "a", "--bucket", "b"])).toThrow("--bucket is given more than once");
    expect(() => parseStatusArgs(["--bucket", "Not_A_Bucket"])).toThrow('--bucket: got "Not_A_Bucket"; allowed: an S3 bucket name');
    expect(() => parseStatusArgs(["--bucket", "my-store", "--region", "Europe"])).toThrow('--region: got "Europe"');
  });
});

describe("progressBar", () => {
  it("fills the width, one character per share, and shows every status that has a pair", () => {
    expect(progressBar({ total: 4, succeeded: 1, inFlight: 0, failed: 1, notReady: 0, notStarted: 2 }, 10)).toBe("[###xxx....]");
    expect(progressBar({ total: 1000, succeeded: 998, inFlight: 0, failed: 1, notReady: 0, notStarted: 1 }, 10)).toBe("[########x.]");
    expect(progressBar({ total: 0, succeeded: 0, inFlight: 0, failed: 0, notReady: 0, notStarted: 0 }, 4)).toBe("[    ]");
  });
});

const describeMoto = motoAvailable() ? describe : describe.skip;

describeMoto("aft-fleet status against the store the controller wrote (moto + SSM stub)", () => {
  const world = useControllerWorld(BUCKET, { packages: [PKG] });
  const forever = { getRemainingTimeInMillis: () => 200_000 };
  let deps: ControllerDeps;
  let stubs: Map<SSMClient, { account: string; region: string; stub: SsmStub }>;
  let statusS3: S3Client;
  let decisions: S3Decision[];
  let policy: IamPolicy;
  const event = (ring: string, step: ControllerEvent["step"], runId: string): ControllerEvent => ({ step, runId, bucket: BUCKET, specKey: ringSpecKey(PKG, ring) });

  function finish(key: string, status: string): void {
    const found = [...stubs.values()].find((s) => `${s.account}:${s.region}` === key);
    if (!found) throw new Error(`no member client for ${key}`);
    for (const id of found.stub.associations.keys()) found.stub.finishExecution(id, status);
  }

  async function status(args: string[], now: Date): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const code = await main(["--bucket", BUCKET, ...args], { stdout: (t) => void (out += t), stderr: (t) => void (err += t), s3: statusS3, now });
    return { code, out, err };
  }

  beforeEach(async () => {
    ({ deps, stubs } = world);
    await world.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${versionPrefix(PKG, "1.0.0")}manifest.json`, Body: manifestOf("1.0.0") }));
    await world.putJson(ringSpecKey(PKG, "canary"), specOf("canary", 0, world.ouId));
    await world.putJson(
      ringSpecKey(PKG, "broad"),
      specOf("broad", 1, world.ouId, {
        maxConcurrency: "10%",
        previous: { name: "canary", bakeSeconds: DAY_S, alarms: ["aft-fleet-canary-health"], maxErrors: "0" },
        alarms: ["aft-fleet-broad-health"],
      }),
    );
    statusS3 = new S3Client(s3ClientConfig(CENTRAL_REGION));
    policy = statusReadPolicy(`arn:aws:s3:::${BUCKET}`, CENTRAL_REGION) as unknown as IamPolicy;
    decisions = enforceS3Policy(statusS3, () => policy);
  });

  it("a held ring: the halt and its reason, the failed pair with account, Region and reason, the counts; JSON and --failed say the same", async () => {
    const [a, b] = world.accounts.flatMap((account) => REGIONS.map((region) => `${account}:${region}`));
    await runStep(event("canary", "plan", "run-1"), deps, NOW, forever);
    await runStep(event("canary", "apply", "run-1"), deps, NOW, forever);
    finish(a!, "Failed");
    finish(b!, "Success");
    await runStep(event("canary", "apply", "run-1"), deps, NOW, forever);
    await runStep(event("canary", "summarize", "run-1"), deps, NOW, forever);

    const later = new Date(NOW.getTime() + HOUR);
    const text = await status([], later);
    expect(text.err).toBe("");
    expect(text.code).toBe(0);
    const [account, region] = a!.split(":");
    const lines = text.out.split("\n");
    expect(lines[0]).toBe(`aft-fleet status of s3://${BUCKET} at ${later.toISOString()}`);
    expect(text.out).toContain(`package ${PKG}`);
    expect(text.out).toMatch(/canary {2}1\.0\.0 \(release 1\.0\.0\)/);
    expect(text.out).toContain("1 succeeded, 0 in flight, 1 failed, 0 not ready, 2 not started of 4 pairs");
    expect(text.out).toContain(
      "gate: HELD: ring held since 2026-11-20T10:00:00.000Z at 1.0.0 (ring halted: 1 failed of 4 pairs exceed MaxErrors 0 (0 allowed)): only failed pairs are retried; release another version or change the ring's resume value to start new pairs",
    );
    const failedLine = lines.find((l) => l.includes(`${account}  ${region}`));
    expect(failedLine).toBeDefined();
    expect(failedLine).toContain("1.0.0");
    expect(failedLine).toMatch(/association|Failed/);
    // broad waits for canary, its alarms named; no ledger yet.
    expect(text.out).toContain("gate: waiting: waiting for ring canary to reach 1.0.0");
    expect(text.out).toContain("alarms: promotion waits on aft-fleet-canary-health (ring canary); new starts stop on aft-fleet-broad-health");
    expect(text.out).toContain("ledger: none yet (the ring has not run)");
    expect(lines.findIndex((l) => l.includes("canary  1.0.0"))).toBeLessThan(lines.findIndex((l) => l.includes("broad")));

    const json = JSON.parse((await status(["--json"], later)).out);
    expect(json).toMatchObject({ schemaVersion: 1, bucket: BUCKET, at: later.toISOString() });
    expect(json.rings.map((r: { ring: string }) => r.ring)).toEqual(["canary", "broad"]);
    const canary = json.rings[0];
    expect(canary).toMatchObject({
      package: PKG,
      ring: "canary",
      ringIndex: 0,
      kind: "package",
      release: "1.0.0",
      version: "1.0.0",
      counts: { total: 4, succeeded: 1, inFlight: 0, failed: 1, notReady: 0, notStarted: 2 },
      gate: { state: "held", previousAlarms: [], ownAlarms: [] },
      held: { version: "1.0.0", at: NOW.toISOString(), reason: "ring halted: 1 failed of 4 pairs exceed MaxErrors 0 (0 allowed)" },
      ledgerExists: true,
    });
    expect(canary.failed).toEqual([{ account, region, version: "1.0.0", attempts: 1, updatedAt: NOW.toISOString(), reason: expect.any(String) }]);
    expect(failedLine!.endsWith(`  ${canary.failed[0].reason}`)).toBe(true);
    expect(canary.run).toBeUndefined(); // the run ended: no lease
    expect(json.rings[1]).toMatchObject({ ring: "broad", counts: { total: 0 }, gate: { state: "waiting", previousRing: "canary", previousAlarms: ["aft-fleet-canary-health"] }, ledgerExists: false });
    expect(json.rings[1].version).toBeUndefined();

    const failed = await status(["--failed"], later);
    expect(failed.out.trim().split("\n")).toEqual([expect.stringMatching(new RegExp(`^${PKG}  canary  ${account}  ${region}\\s+1\\.0\\.0\\s+\\S`))]);
    const failedJson = JSON.parse((await status(["--failed", "--json"], later)).out);
    expect(failedJson.failed).toEqual([{ package: PKG, ring: "canary", account, region, version: "1.0.0", attempts: 1, updatedAt: NOW.toISOString(), reason: canary.failed[0].reason }]);
    expect(failedJson.rings).toBeUndefined();

    // Read-only, within the documented policy: only lists and gets, the missing broad ledger a 404 after S3's own check.
    expect(new Set(decisions.map((d) => d.command))).toEqual(new Set(["ListObjectsV2", "GetObject"]));
    expect(decisions.filter((d) => d.answer === 403).map((d) => d.key)).toEqual(Array(4).fill("ledger/example-agent/broad.json"));
  });

  it("a run in progress and a ring baking: the run's summary gate, and the bake's end from reached plus bakeSeconds", async () => {
    const keys = world.accounts.flatMap((account) => REGIONS.map((region) => `${account}:${region}`));
    await runStep(event("canary", "plan", "run-1"), deps, NOW, forever);
    await runStep(event("canary", "apply", "run-1"), deps, NOW, forever);
    const going = JSON.parse((await status(["--json"], NOW)).out);
    expect(going.rings[0]).toMatchObject({ counts: { inFlight: 2, notStarted: 2 }, run: { runId: "run-1", final: false } });
    expect((await status([], NOW)).out).toMatch(/run: run-1 in progress \(lease until 2026-11-20T\S+\)/);

    for (const key of keys.slice(0, 2)) finish(key, "Success");
    await runStep(event("canary", "apply", "run-1"), deps, NOW, forever);
    for (const key of keys.slice(2)) finish(key, "Success");
    await runStep(event("canary", "apply", "run-1"), deps, NOW, forever);
    await runStep(event("canary", "summarize", "run-1"), deps, NOW, forever);

    const later = new Date(NOW.getTime() + 2 * HOUR);
    const text = await status([], later);
    expect(text.out).toContain("4 succeeded, 0 in flight, 0 failed, 0 not ready, 0 not started of 4 pairs");
    expect(text.out).toContain("gate: steady: runs the release 1.0.0");
    expect(text.out).toContain("gate: baking: baking until 2026-11-21T10:00:00.000Z (baking: ring canary reached 1.0.0 at 2026-11-20T10:00:00.000Z; bake ends at 2026-11-21T10:00:00.000Z)");
    expect(text.out).toContain("[##############################]");
    const json = JSON.parse((await status(["--json"], later)).out);
    expect(json.rings[0].reached).toEqual({ "1.0.0": NOW.toISOString() });
    expect(json.rings[1].gate).toMatchObject({ state: "baking", bakeUntil: "2026-11-21T10:00:00.000Z", previousRing: "canary" });
    // After the bake, with no alarm state read: the next run takes it unless the alarm fires.
    const after = await status([], new Date(NOW.getTime() + 25 * HOUR));
    expect(after.out).toContain("gate: ready: the next run takes 1.0.0 if alarm aft-fleet-canary-health of ring canary is not in ALARM");
    expect((await status(["--failed"], later)).out).toBe(`no failed pairs in s3://${BUCKET} at ${later.toISOString()}\n`);
  });

  it("errors are one line without a stack: a bucket without ring specs, a read the caller may not make, a bad option", async () => {
    await world.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: ringSpecKey(PKG, "canary"), Body: "{}" }));
    const bad = await status([], NOW);
    expect(bad.code).toBe(1);
    expect(bad.err).toBe(`aft-fleet status: s3://${BUCKET}/controller/${PKG}/canary.json: ring spec controller/${PKG}/canary.json: schemaVersion undefined is not 1\n`);

    await world.putJson(ringSpecKey(PKG, "canary"), specOf("canary", 0, world.ouId));
    await world.putJson(ledgerKey(PKG, "canary"), emptyLedger(PKG, "canary"));
    // Without GetObject on ledger/*: a ledger that exists is refused (a missing one still reads as missing).
    policy = { ...policy, Statement: policy.Statement.map((s) => ({ ...s, Resource: [s.Resource].flat().filter((r) => !r.includes("/ledger/")) })) };
    const denied = await status([], NOW);
    expect(denied.code).toBe(1);
    expect(denied.err).toBe(`aft-fleet status: s3://${BUCKET}/ledger/${PKG}/canary.json: AccessDenied: Access Denied\n`);

    policy = statusReadPolicy(`arn:aws:s3:::${BUCKET}`, CENTRAL_REGION) as unknown as IamPolicy;
    let out = "";
    let err = "";
    const empty = await main(["--bucket", "aft-fleet-no-such-store"], { stdout: (t) => void (out += t), stderr: (t) => void (err += t), s3: statusS3, now: NOW });
    expect(empty).toBe(1);
    expect(err.split("\n")).toHaveLength(2);
    expect(err).toMatch(/^aft-fleet status: listing s3:\/\/aft-fleet-no-such-store\/controller\/: /);

    err = "";
    expect(await main(["--bucket", BUCKET, "--colour"], { stdout: () => undefined, stderr: (t) => void (err += t), s3: statusS3 })).toBe(2);
    expect(err.split("\n")[0]).toMatch(/^aft-fleet status: Unknown option '--colour'/);
    expect(out).toBe("");
  });
});

describe("fleetStatus and change freezes", () => {
  // The controller starts no pair while a freeze in the ring's spec holds (lambdas/controller/freeze.ts);
  // status says so with the same words, and not for a ring that already runs its release.
  const FREEZE = { kind: "once", name: "launch-day", timeZone: "Europe/Berlin", start: "2026-11-20T10:30", end: "2026-11-20T14:00" } as const;
  const spec = packageRingSpec({ bucket: BUCKET, packageName: PKG, ring: "canary", regions: REGIONS, ouId: "ou-ab12-cdef3456" }, { freezes: [FREEZE] });
  const ring = (ledger = emptyLedger(PKG, "canary")) => ({ specKey: ringSpecKey(PKG, "canary"), spec, ledger, ledgerExists: true });

  it("a ring that has work to do shows FROZEN until the freeze ends", () => {
    const inFreeze = fleetStatus(BUCKET, [ring()], new Date("2026-11-20T10:00:00.000Z")).rings[0]!;
    expect(inFreeze.gate).toMatchObject({ state: "frozen", text: "change freeze launch-day until 2026-11-20T13:00:00.000Z: no pair starts, pairs in flight finish" });
    expect(renderStatus(fleetStatus(BUCKET, [ring()], new Date("2026-11-20T10:00:00.000Z")))).toContain("FROZEN");
    const after = fleetStatus(BUCKET, [ring()], new Date("2026-11-20T13:00:01.000Z")).rings[0]!;
    expect(after.gate.state).toBe("ready");
  });

  it("a ring that runs its release is steady, freeze or not", () => {
    const steady = fleetStatus(BUCKET, [ring({ ...emptyLedger(PKG, "canary"), ringVersion: "1.0.0" })], new Date("2026-11-20T10:00:00.000Z")).rings[0]!;
    expect(steady.gate.state).toBe("steady");
  });
});
