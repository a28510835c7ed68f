import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  CreateAssociationCommand,
  DescribeAssociationCommand,
  DescribeDocumentCommand,
  GetDocumentCommand,
  ListDocumentsCommand,
  SSMClient,
  UpdateAssociationCommand,
  UpdateDocumentCommand,
  UpdateDocumentDefaultVersionCommand,
} from "@aws-sdk/client-ssm";
import { STSClient } from "@aws-sdk/client-sts";
import { EXECUTION_ROLE_NAME, associationNameOf, sourceUrlOf, versionPrefix } from "../../contract";
import {
  CredentialCache,
  DocumentVersionFailedError,
  ManifestInvalidError,
  ManifestMissingError,
  NotReadyError,
  PairInputError,
  assumeMember,
  centralStsClient,
  ensureAssociation,
  ensurePackageVersion,
  memberSsm,
  pruneDocumentVersions,
  readAssociationStatus,
  startOnce,
  type AssociationSpec,
  type MemberRole,
} from "../../lambdas/controller/pair";
import { clientConfig, s3ClientConfig, sharedHttpHandler, SHARED_MAX_SOCKETS_PER_HOST, SHARED_MAX_TOTAL_SOCKETS } from "../../lambdas/shared/clients";
import {
  MemberClientCache,
  memberRateKey,
  memberSsmClient,
  rateLimitedMemberSsmClient,
  type MemberClientConfig,
  type MemberCredentials,
} from "../../lambdas/controller/pair-credentials";
import { RateLimiter } from "../../lambdas/shared/rate-limit";
import { memberImageClients } from "../../lambdas/controller/job-asg-image";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { Agent } from "node:https";
import { motoAvailable, startMoto, useFakeAwsEnv, type MotoServer } from "../helpers/moto";
import { installSsmStub, type SsmStub } from "./ssm-association-stub";
import { awsError, recordingSleep, spySend, stubSend } from "./stub";

const MEMBER = "111122223333";
const CENTRAL_REGION = "us-east-1";
const REGION = "eu-west-1";
const BUCKET = "aft-fleet-store-test";
const PKG = "example-agent";

const role = (account = MEMBER): MemberRole => ({ account, partition: "aws", roleName: EXECUTION_ROLE_NAME, sessionName: "run-123" });

function manifestOf(version: string): string {
  return JSON.stringify({
    schemaVersion: "2.0",
    version,
    packages: { amazon: { _any: { x86_64: { file: "linux.zip" } } } },
    files: { "linux.zip": { checksums: { sha256: "0".repeat(64) } } },
  });
}

function associationSpec(version: string, overrides: Partial<AssociationSpec> = {}): AssociationSpec {
  return {
    name: associationNameOf(PKG),
    documentName: PKG,
    version,
    action: "Install",
    installationType: "Uninstall and reinstall",
    additionalArguments: { SSM_SITE: "eu", SSM_MODE: "strict" },
    targets: [],
    scheduleExpression: "rate(30 minutes)",
    maxConcurrency: "10%",
    maxErrors: "5%",
    complianceSeverity: "HIGH",
    ...overrides,
  };
}

const describeMoto = motoAvailable() ? describe : describe.skip;

describeMoto("per-pair operations against moto, as the member account", () => {
  let moto: MotoServer | null;
  let restoreEnv: () => void;
  let sts: STSClient;
  let s3: S3Client;
  let cache: CredentialCache;
  let ssm: SSMClient;
  let stub: SsmStub;
  const noWait = { backoff: { sleep: async () => undefined }, sleep: async () => undefined };

  /** What the controller does per version: read manifest.json from the store (undefined when missing). */
  async function readManifest(version: string): Promise<string | undefined> {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${versionPrefix(PKG, version)}manifest.json` }));
      return await object.Body!.transformToString("utf-8");
    } catch (error) {
      if ((error as Error).name === "NoSuchKey") return undefined;
      throw error;
    }
  }

  async function publish(...versions: string[]): Promise<void> {
    for (const version of versions) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${versionPrefix(PKG, version)}manifest.json`, Body: manifestOf(version) }));
    }
  }

  async function ensureVersion(version: string, extra: { retention?: number; keepVersionNames?: string[] } = {}) {
    return ensurePackageVersion(ssm, { documentName: PKG, versionName: version, manifest: await readManifest(version), sourceUrl: sourceUrlOf(BUCKET, PKG, version), ...extra }, noWait);
  }

  async function describeDoc(select: { VersionName?: string; DocumentVersion?: string } = {}) {
    return (await ssm.send(new DescribeDocumentCommand({ Name: PKG, ...select }))).Document!;
  }

  beforeAll(async () => {
    moto = await startMoto();
    restoreEnv = useFakeAwsEnv(moto?.endpoint);
    sts = centralStsClient(CENTRAL_REGION);
    s3 = new S3Client(s3ClientConfig(CENTRAL_REGION));
  });

  afterAll(async () => {
    restoreEnv?.();
    await moto?.stop();
  });

  beforeEach(async () => {
    await moto?.reset();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await publish("1.0.0", "1.1.0");
    cache = new CredentialCache();
    ssm = await memberSsm(sts, role(), REGION, { cache });
    stub = installSsmStub(ssm);
  });

  it("new account: creates the Package document in the member account with VersionName and SourceUrl", async () => {
    const result = await ensureVersion("1.0.0");
    expect(result).toEqual({ state: "Active", documentVersion: "1", action: "created", pruned: [] });

    const [create] = stub.named("CreateDocument");
    expect(create!.input).toEqual({
      Name: PKG,
      Content: manifestOf("1.0.0"),
      DocumentType: "Package",
      DocumentFormat: "JSON",
      VersionName: "1.0.0",
      Attachments: [{ Key: "SourceUrl", Values: [sourceUrlOf(BUCKET, PKG, "1.0.0")] }],
    });
    const doc = await describeDoc();
    expect(doc).toMatchObject({ Owner: MEMBER, DocumentType: "Package", VersionName: "1.0.0", DefaultVersion: "1", Status: "Active" });
    expect((await ssm.send(new GetDocumentCommand({ Name: PKG }))).Content).toBe(manifestOf("1.0.0"));
    // Landed in the member account, not in the central one whose credentials started the run.
    const central = new SSMClient(clientConfig(REGION));
    expect((await central.send(new ListDocumentsCommand({ Filters: [{ Key: "Owner", Values: ["Self"] }] }))).DocumentIdentifiers).toEqual([]);
    expect(stub.named("UpdateDocumentDefaultVersion")).toHaveLength(0);
  });

  it("version bump: adds the new version name and moves the default to it", async () => {
    await ensureVersion("1.0.0");
    const result = await ensureVersion("1.1.0");
    expect(result).toMatchObject({ state: "Active", documentVersion: "2", action: "added" });
    const [update] = stub.named("UpdateDocument");
    expect(update!.input).toMatchObject({
      Name: PKG,
      VersionName: "1.1.0",
      DocumentVersion: "$LATEST",
      Content: manifestOf("1.1.0"),
      Attachments: [{ Key: "SourceUrl", Values: [sourceUrlOf(BUCKET, PKG, "1.1.0")] }],
    });
    expect(await describeDoc()).toMatchObject({ DefaultVersion: "2", LatestVersion: "2", VersionName: "1.1.0" });
  });

  it("rollback: reuses the existing version, sends no UpdateDocument and only moves the default", async () => {
    await ensureVersion("1.0.0");
    await ensureVersion("1.1.0");
    stub.sent.length = 0;

    const rollback = await ensureVersion("1.0.0");
    expect(rollback).toMatchObject({ state: "Active", documentVersion: "1", action: "reused" });
    expect(stub.named("UpdateDocument")).toHaveLength(0);
    expect(stub.named("UpdateDocumentDefaultVersion").map((c) => c.input)).toEqual([{ Name: PKG, DocumentVersion: "1" }]);
    expect(await describeDoc()).toMatchObject({ DefaultVersion: "1", LatestVersion: "2" });

    // A retry changes nothing at all.
    stub.sent.length = 0;
    expect(await ensureVersion("1.0.0")).toMatchObject({ documentVersion: "1", action: "reused" });
    expect(stub.sent.map((c) => c.name).filter((n) => !["DescribeDocument", "ListDocumentVersions"].includes(n))).toEqual([]);

    // Proof that the reuse matters: moto, like AWS, refuses the same VersionName twice.
    await expect(ssm.send(new UpdateDocumentCommand({ Name: PKG, Content: manifestOf("1.0.0") + " ", VersionName: "1.0.0", DocumentVersion: "$LATEST" }))).rejects.toMatchObject({
      name: "DuplicateDocumentVersionName",
    });
  });

  it("prunes 11 versions to 10: oldest first, never the default nor the version in use", async () => {
    const versions = Array.from({ length: 11 }, (_, i) => `1.0.${i + 1}`);
    await publish(...versions);
    for (const version of versions) expect(await ensureVersion(version, { retention: 24 })).toMatchObject({ pruned: [] });
    expect(await describeDoc()).toMatchObject({ LatestVersion: "11", DefaultVersion: "11" });
    stub.sent.length = 0;

    // Roll back to the oldest version while the association still installs the newest one.
    const result = await ensureVersion("1.0.1", { retention: 10, keepVersionNames: ["1.0.11"] });
    expect(result).toMatchObject({ state: "Active", documentVersion: "1", action: "reused", pruned: [{ documentVersion: "2", versionName: "1.0.2" }] });
    expect(stub.named("DeleteDocument").map((c) => c.input)).toEqual([{ Name: PKG, DocumentVersion: "2" }]);
    expect(stub.named("ListDocumentVersions").length).toBeGreaterThan(1); // paginated (stub pages of 4)
    await expect(describeDoc({ DocumentVersion: "2" })).rejects.toMatchObject({ name: "InvalidDocument" });
    expect(await describeDoc({ DocumentVersion: "1" })).toMatchObject({ VersionName: "1.0.1" });
    expect(await describeDoc({ DocumentVersion: "11" })).toMatchObject({ VersionName: "1.0.11" });

    // A lower retention with a protected middle version deletes the next oldest around it.
    const again = await ensureVersion("1.0.1", { retention: 8, keepVersionNames: ["1.0.3"] });
    expect(again).toMatchObject({ pruned: [{ documentVersion: "4" }, { documentVersion: "5" }] });
    expect(await describeDoc({ DocumentVersion: "3" })).toMatchObject({ VersionName: "1.0.3" });
  });

  it("pruning skips the default version even when it is not the one asked for", async () => {
    const versions = ["1.0.1", "1.0.2", "1.0.3", "1.0.4", "1.0.5"];
    await publish(...versions);
    for (const version of versions) await ensureVersion(version, { retention: 24 });
    await ssm.send(new UpdateDocumentDefaultVersionCommand({ Name: PKG, DocumentVersion: "1" }));
    const pruned = await pruneDocumentVersions(ssm, PKG, 2, new Set(["5"]));
    expect(pruned.map((p) => p.documentVersion)).toEqual(["2", "3", "4"]);
  });

  it("fails clearly when the store has no manifest.json for the version, and checks the manifest's version", async () => {
    const error = await ensureVersion("2.0.0").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestMissingError);
    expect((error as Error).message).toBe(`manifest.json not found at ${sourceUrlOf(BUCKET, PKG, "2.0.0")}/manifest.json`);
    expect(stub.named("CreateDocument")).toHaveLength(0);

    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${versionPrefix(PKG, "2.0.0")}manifest.json`, Body: manifestOf("2.0.1") }));
    await expect(ensureVersion("2.0.0")).rejects.toBeInstanceOf(ManifestInvalidError);

    // A version the document already has needs no manifest (rollback after the store lost it).
    await ensureVersion("1.0.0");
    await expect(
      ensurePackageVersion(ssm, { documentName: PKG, versionName: "1.0.0", manifest: undefined, sourceUrl: sourceUrlOf(BUCKET, PKG, "1.0.0") }, noWait),
    ).resolves.toMatchObject({ action: "reused", documentVersion: "1" });
  });

  it("waits while the version is Creating, gives up as InProgress, and throws on Failed", async () => {
    let clock = 0;
    const deps = { ...noWait, now: () => clock, sleep: async (ms: number) => void (clock += ms), pollIntervalMs: 1000, pollTimeoutMs: 3000 };
    stub.documentStatuses(["Creating", "Updating"]);
    const base = { documentName: PKG, manifest: manifestOf("1.0.0"), versionName: "1.0.0", sourceUrl: sourceUrlOf(BUCKET, PKG, "1.0.0") };
    expect(await ensurePackageVersion(ssm, base, deps)).toMatchObject({ state: "Active", action: "created" });
    expect(clock).toBe(2000);

    stub.documentStatuses(["Creating", "Creating", "Creating", "Creating", "Creating"]);
    clock = 0;
    stub.sent.length = 0;
    const pending = await ensurePackageVersion(ssm, { ...base, versionName: "1.1.0", manifest: manifestOf("1.1.0"), sourceUrl: sourceUrlOf(BUCKET, PKG, "1.1.0") }, deps);
    expect(pending).toEqual({ state: "InProgress", documentVersion: "2", action: "added", status: "Creating" });
    expect(stub.named("UpdateDocumentDefaultVersion")).toHaveLength(0);
    expect(stub.named("DeleteDocument")).toHaveLength(0);

    stub.documentStatuses(["Failed"], "The attachment linux.zip could not be copied");
    const failed = await ensurePackageVersion(ssm, { ...base, versionName: "1.1.0", manifest: manifestOf("1.1.0"), sourceUrl: sourceUrlOf(BUCKET, PKG, "1.1.0") }, deps).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(DocumentVersionFailedError);
    expect((failed as Error).message).toContain("could not be copied");
  });

  it("a document holding Distributor's 25 versions gets the new one in one call: room is made first, never from the default or kept versions", async () => {
    // Distributor: "Each package is held to a maximum of 25 versions" (User Guide,
    // distributor-working-with-packages-version.html); UpdateDocument on a full document fails with
    // DocumentVersionLimitExceeded (UpdateDocument API reference, Errors).
    await ensureVersion("1.0.0");
    for (let i = 2; i <= 25; i++) {
      const version = `1.0.${i}`;
      await ssm.send(
        new UpdateDocumentCommand({ Name: PKG, Content: manifestOf(version), VersionName: version, DocumentVersion: "$LATEST", DocumentFormat: "JSON", Attachments: [{ Key: "SourceUrl", Values: [sourceUrlOf(BUCKET, PKG, version)] }] }),
      );
    }
    expect(await describeDoc()).toMatchObject({ LatestVersion: "25", DefaultVersion: "1" });
    // The stub refuses a 26th version as AWS does.
    await expect(
      ssm.send(new UpdateDocumentCommand({ Name: PKG, Content: manifestOf("9.9.9"), VersionName: "9.9.9", DocumentVersion: "$LATEST", DocumentFormat: "JSON" })),
    ).rejects.toMatchObject({ name: "DocumentVersionLimitExceeded" });
    await publish("2.0.0");
    stub.sent.length = 0;

    // Default is version 1 (the oldest); the association still installs 1.0.2 (version 2).
    const result = await ensureVersion("2.0.0", { retention: 24, keepVersionNames: ["1.0.2"] });
    // Room first (version 3), then the retention of 24 takes the old default, no longer the default.
    expect(result).toMatchObject({ state: "Active", documentVersion: "26", action: "added", pruned: [{ documentVersion: "3", versionName: "1.0.3" }, { documentVersion: "1" }] });
    const names = stub.sent.map((c) => c.name);
    expect(stub.named("UpdateDocument")).toHaveLength(1);
    expect(names.indexOf("DeleteDocument")).toBeLessThan(names.indexOf("UpdateDocument"));
    expect(stub.named("DeleteDocument").map((c) => c.input.DocumentVersion)).toEqual(["3", "1"]);
    expect(await describeDoc()).toMatchObject({ DefaultVersion: "26", LatestVersion: "26" });
    expect(await describeDoc({ DocumentVersion: "2" })).toMatchObject({ VersionName: "1.0.2" });

    // A lower retention later prunes as before, still around the kept version.
    const again = await ensureVersion("2.0.0", { retention: 10, keepVersionNames: ["1.0.2"] });
    expect(again).toMatchObject({ action: "reused", documentVersion: "26" });
    if (again.state !== "Active") throw new Error("expected Active");
    expect(again.pruned.map((p) => p.documentVersion)).toEqual(Array.from({ length: 14 }, (_, i) => String(i + 4)));
    expect(await describeDoc({ DocumentVersion: "2" })).toMatchObject({ VersionName: "1.0.2" });
  });

  it("makes room only as far as the default and kept versions allow, and says so with AWS's own error", async () => {
    await ensureVersion("1.0.0");
    for (let i = 2; i <= 25; i++) {
      const version = `1.0.${i}`;
      await ssm.send(new UpdateDocumentCommand({ Name: PKG, Content: manifestOf(version), VersionName: version, DocumentVersion: "$LATEST", DocumentFormat: "JSON" }));
    }
    await publish("2.0.0");
    const everyName = Array.from({ length: 25 }, (_, i) => (i === 0 ? "1.0.0" : `1.0.${i + 1}`));
    await expect(ensureVersion("2.0.0", { retention: 24, keepVersionNames: everyName })).rejects.toMatchObject({ name: "DocumentVersionLimitExceeded" });
    expect(stub.named("DeleteDocument")).toHaveLength(0);
  });

  it("pollTimeoutMs 0 never waits: one DescribeDocument of the version, then InProgress", async () => {
    const waits: number[] = [];
    const deps = { ...noWait, sleep: async (ms: number) => void waits.push(ms), pollTimeoutMs: 0 };
    stub.documentStatuses(["Creating"]);
    const base = { documentName: PKG, manifest: manifestOf("1.0.0"), versionName: "1.0.0", sourceUrl: sourceUrlOf(BUCKET, PKG, "1.0.0") };
    stub.sent.length = 0;
    expect(await ensurePackageVersion(ssm, base, deps)).toEqual({ state: "InProgress", documentVersion: "1", action: "created", status: "Creating" });
    expect(stub.named("DescribeDocument").filter((c) => c.input.DocumentVersion !== undefined)).toHaveLength(1);
    expect(waits).toEqual([]);
    // The next pass finds it Active (moto's own status) and finishes it.
    expect(await ensurePackageVersion(ssm, base, deps)).toMatchObject({ state: "Active", action: "reused", documentVersion: "1" });
  });

  it("rejects bad inputs before calling AWS", async () => {
    const base = { documentName: PKG, versionName: "1.0.0", manifest: manifestOf("1.0.0"), sourceUrl: sourceUrlOf(BUCKET, PKG, "1.0.0") };
    for (const retention of [0, 25, 1.5]) {
      await expect(ensurePackageVersion(ssm, { ...base, retention }, noWait)).rejects.toMatchObject({ name: "PairInputError", field: "retention" });
    }
    await expect(ensurePackageVersion(ssm, { ...base, versionName: "1" }, noWait)).rejects.toBeInstanceOf(PairInputError);
    await expect(ensurePackageVersion(ssm, { ...base, sourceUrl: `s3://${BUCKET}//x` }, noWait)).rejects.toBeInstanceOf(PairInputError);
    await expect(ensureAssociation(ssm, associationSpec("1.0.0", { scheduleExpression: "rate(10 minutes)" }))).rejects.toMatchObject({ field: "scheduleExpression" });
    await expect(ensureAssociation(ssm, associationSpec("1.0.0", { maxErrors: "101%" }))).rejects.toMatchObject({ field: "maxErrors" });
    expect(stub.sent).toEqual([]);
    expect(await ensureVersion("1.0.0", { retention: 24 })).toMatchObject({ state: "Active" });
  });

  it("association: created, unchanged when equal, updated (version +1) only on change", async () => {
    await ensureVersion("1.0.0");
    const created = await ensureAssociation(ssm, associationSpec("1.0.0"));
    expect(created).toEqual({ associationId: expect.any(String), associationVersion: "1", action: "created" });
    const [create] = stub.named("CreateAssociation");
    expect(create!.input).toEqual({
      Name: "AWS-ConfigureAWSPackage",
      AssociationName: "aft-fleet-example-agent",
      Parameters: {
        action: ["Install"],
        installationType: ["Uninstall and reinstall"],
        name: [PKG],
        version: ["1.0.0"],
        additionalArguments: ['{"SSM_MODE":"strict","SSM_SITE":"eu"}'],
      },
      Targets: [{ Key: "InstanceIds", Values: ["*"] }],
      ScheduleExpression: "rate(30 minutes)",
      MaxConcurrency: "10%",
      MaxErrors: "5%",
      ComplianceSeverity: "HIGH",
      ApplyOnlyAtCronInterval: false,
    });

    // Same definition, arguments in another order: nothing to write.
    const same = await ensureAssociation(ssm, associationSpec("1.0.0", { additionalArguments: { SSM_SITE: "eu", SSM_MODE: "strict" } }));
    expect(same).toMatchObject({ associationId: created.associationId, associationVersion: "1", action: "unchanged", lastStatus: "Pending" });
    expect(stub.named("UpdateAssociation")).toHaveLength(0);

    const bumped = await ensureAssociation(ssm, associationSpec("1.1.0"));
    expect(bumped).toEqual({ associationId: created.associationId, associationVersion: "2", action: "updated" });
    const [update] = stub.named("UpdateAssociation");
    expect(update!.input).toMatchObject({ AssociationId: created.associationId, AssociationVersion: "$LATEST", Parameters: { version: ["1.1.0"] } });

    expect(await ensureAssociation(ssm, associationSpec("1.1.0"))).toMatchObject({ associationVersion: "2", action: "unchanged" });
    const tagged = await ensureAssociation(ssm, associationSpec("1.1.0", { targets: [{ Key: "tag:Ring", Values: ["canary"] }], additionalArguments: {} }));
    expect(tagged).toMatchObject({ associationVersion: "3", action: "updated" });
    const described = (await ssm.send(new DescribeAssociationCommand({ AssociationId: created.associationId }))).AssociationDescription!;
    expect(described.Targets).toEqual([{ Key: "tag:Ring", Values: ["canary"] }]);
    expect(described.Parameters).not.toHaveProperty("additionalArguments");
    // Create and update run the association themselves: no StartAssociationsOnce.
    expect(stub.named("StartAssociationsOnce")).toHaveLength(0);
  });

  it("association: replaces a look-alike whose name only starts the same, and refuses duplicates", async () => {
    await ssm.send(new CreateAssociationCommand({ ...associationRaw(), AssociationName: "aft-fleet-example-agent-old" }));
    const result = await ensureAssociation(ssm, associationSpec("1.0.0"));
    expect(result.action).toBe("created");
    await expect(ssm.send(new CreateAssociationCommand(associationRaw()))).rejects.toMatchObject({ name: "AssociationAlreadyExists" });
  });

  it("reads the result of our association version, falls back to the overview, and retries a failure once", async () => {
    const { associationId } = await ensureAssociation(ssm, associationSpec("1.0.0"));
    expect(await readAssociationStatus(ssm, associationId, "1")).toMatchObject({ status: "Pending" });

    stub.finishExecution(associationId, "Failed", "{Failed=2, Success=1}");
    expect(await readAssociationStatus(ssm, associationId, "1")).toMatchObject({ status: "Failed", detail: expect.stringContaining("Failed=2") });

    const unchanged = await ensureAssociation(ssm, associationSpec("1.0.0"));
    expect(unchanged).toMatchObject({ action: "unchanged", lastStatus: "Failed" });
    await startOnce(ssm, associationId);
    expect(stub.named("StartAssociationsOnce").map((c) => c.input)).toEqual([{ AssociationIds: [associationId] }]);
    expect(await readAssociationStatus(ssm, associationId, "1")).toMatchObject({ status: "Pending" });
    stub.finishExecution(associationId, "Success");
    expect(await readAssociationStatus(ssm, associationId, "1")).toMatchObject({ status: "Succeeded" });

    // An update's execution is what counts for the new version, not the older success.
    await ensureAssociation(ssm, associationSpec("1.1.0"));
    expect(await readAssociationStatus(ssm, associationId, "2")).toMatchObject({ status: "Pending" });
    // No managed node in the account and Region: counted as Succeeded (documented assumption).
    stub.finishExecution(associationId, "Failed", "{}");
    expect(await readAssociationStatus(ssm, associationId, "2")).toMatchObject({ status: "Succeeded", detail: expect.stringContaining("no targets") });

    // Without an execution of our version: the overview when the association is at our version.
    stub.associations.get(associationId)!.executions.length = 0;
    stub.associations.get(associationId)!.description.Overview = { Status: "Success" };
    expect(await readAssociationStatus(ssm, associationId, "2")).toMatchObject({ status: "Succeeded" });
    expect(await readAssociationStatus(ssm, associationId, "1")).toMatchObject({ status: "Pending", detail: expect.stringContaining("at version 2") });

    await expect(readAssociationStatus(ssm, "00000000-0000-0000-0000-000000000000", "1")).rejects.toMatchObject({ name: "AssociationDoesNotExist" });
    await expect(startOnce(ssm, "00000000-0000-0000-0000-000000000000")).rejects.toMatchObject({ name: "AssociationDoesNotExist" });
  });

  it("retries throttled SSM calls with backoff", async () => {
    await ensureVersion("1.0.0");
    const { delays, sleep } = recordingSleep();
    stub.throttle("DescribeDocument", 2);
    stub.throttle("UpdateDocument", 1);
    stub.throttle("ListDocumentVersions", 1);
    stub.throttle("ListAssociations", 1);
    stub.throttle("CreateAssociation", 2);
    const backoff = { baseDelayMs: 100, random: () => 1, sleep };
    const added = await ensurePackageVersion(
      ssm,
      { documentName: PKG, versionName: "1.1.0", manifest: manifestOf("1.1.0"), sourceUrl: sourceUrlOf(BUCKET, PKG, "1.1.0") },
      { backoff },
    );
    expect(added).toMatchObject({ state: "Active", action: "added", documentVersion: "2" });
    const association = await ensureAssociation(ssm, associationSpec("1.1.0"), { backoff });
    expect(association.action).toBe("created");
    expect(delays).toEqual([100, 200, 100, 100, 100, 100, 200]);
    expect(stub.named("UpdateDocument")).toHaveLength(2);
    expect(stub.named("CreateAssociation")).toHaveLength(3);
    expect(stub.associations.size).toBe(1);
  });

  it("caches the member's credentials across Regions until shortly before they expire", async () => {
    const sent = spySend(sts);
    const fresh = new CredentialCache();
    const eu = await memberSsm(sts, role(), "eu-west-1", { cache: fresh });
    const us = await memberSsm(sts, role(), "us-east-1", { cache: fresh });
    expect(sent.map((c) => c.name)).toEqual(["AssumeRole"]);
    expect(sent[0]!.input).toMatchObject({ RoleArn: `arn:aws:iam::${MEMBER}:role/aft-fleet-execution`, RoleSessionName: "run-123", DurationSeconds: 3600 });
    expect(eu).not.toBe(us);
    expect(await memberSsm(sts, role(), "eu-west-1", { cache: fresh })).toBe(eu);

    const credentials = await assumeMember(sts, role(), { cache: fresh });
    const late = credentials.expiration.getTime() - 60_000;
    await assumeMember(sts, role(), { cache: fresh, now: () => late });
    expect(sent).toHaveLength(2);
    await assumeMember(sts, role("444455556666"), { cache: fresh });
    expect(sent).toHaveLength(3);
  });
});

describe("assumeMember with a stubbed STS", () => {
  let restoreEnv: () => void;
  beforeAll(() => {
    restoreEnv = useFakeAwsEnv();
  });
  afterAll(() => restoreEnv());

  it.each(["AccessDenied", "AccessDeniedException"])("maps %s (no execution role yet) to NotReadyError and does not cache it", async (name) => {
    const sts = centralStsClient(CENTRAL_REGION);
    const sent = stubSend(sts, () => {
      throw awsError(name, `User: arn:aws:sts::999999999999:assumed-role/aft-fleet-controller/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${MEMBER}:role/aft-fleet-execution`);
    });
    const cache = new CredentialCache();
    const error = await assumeMember(sts, role(), { cache }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotReadyError);
    expect(error).toMatchObject({ account: MEMBER, roleArn: `arn:aws:iam::${MEMBER}:role/aft-fleet-execution`, causeName: name });
    await expect(assumeMember(sts, role(), { cache })).rejects.toBeInstanceOf(NotReadyError);
    expect(sent).toHaveLength(2);
  });

  it("passes other STS errors through and retries throttling", async () => {
    const sts = centralStsClient(CENTRAL_REGION);
    let calls = 0;
    stubSend(sts, () => {
      calls++;
      if (calls === 1) throw awsError("Throttling");
      if (calls === 2) throw awsError("RegionDisabledException");
      return { Credentials: { AccessKeyId: "ASIA", SecretAccessKey: "s", SessionToken: "t", Expiration: new Date(Date.now() + 3600_000) } };
    });
    const { delays, sleep } = recordingSleep();
    const cache = new CredentialCache();
    await expect(assumeMember(sts, role(), { cache, backoff: { sleep, random: () => 0 } })).rejects.toMatchObject({ name: "RegionDisabledException" });
    expect(delays).toEqual([250]);
    await expect(assumeMember(sts, { ...role(), externalId: "fleet-42" }, { cache })).resolves.toMatchObject({ accessKeyId: "ASIA" });
  });

  it("rejects a malformed role before calling STS", async () => {
    const sts = centralStsClient(CENTRAL_REGION);
    const sent = stubSend(sts, () => ({}));
    await expect(assumeMember(sts, role("12345"))).rejects.toMatchObject({ field: "account" });
    await expect(assumeMember(sts, { ...role(), sessionName: "run id" })).rejects.toMatchObject({ field: "sessionName" });
    await expect(assumeMember(sts, { ...role(), partition: "aws-xx" })).rejects.toMatchObject({ field: "partition" });
    expect(sent).toHaveLength(0);
  });
});

describe("member clients share one HTTP handler and are cached per account, Region and credentials", () => {
  let restoreEnv: () => void;
  beforeAll(() => {
    restoreEnv = useFakeAwsEnv();
  });
  afterAll(() => restoreEnv());

  const credentialsOf = (account: string, expiresInMs: number, key = `ASIA${account}`): MemberCredentials => ({
    accessKeyId: key,
    secretAccessKey: "secret",
    sessionToken: "token",
    expiration: new Date(Date.now() + expiresInMs),
    account,
  });

  it("SSM, EC2 and Auto Scaling clients of different accounts and Regions use the same NodeHttpHandler, with bounded sockets", async () => {
    const a = memberSsmClient(credentialsOf(MEMBER, 3600_000), "eu-west-1");
    const b = memberSsmClient(credentialsOf("444455556666", 3600_000), "us-east-1");
    const image = memberImageClients(credentialsOf("555566667777", 3600_000), "eu-west-1");
    const handler = sharedHttpHandler();
    expect(handler).toBeInstanceOf(NodeHttpHandler);
    for (const client of [a, b, image.ssm, image.ec2, image.autoScaling]) expect(client.config.requestHandler).toBe(handler);
    expect(a).not.toBe(b);
    // @smithy/node-http-handler 4.14.2 resolves its options into `configProvider`: the https agent as given,
    // the http agent through `httpAgentProvider` (node:http is loaded lazily).
    const config = await (handler as unknown as { configProvider: Promise<{ httpsAgent: Agent; httpAgentProvider: () => Promise<Agent> }> }).configProvider;
    for (const agent of [config.httpsAgent, await config.httpAgentProvider()]) {
      expect(agent).toMatchObject({ keepAlive: true, maxSockets: SHARED_MAX_SOCKETS_PER_HOST, maxTotalSockets: SHARED_MAX_TOTAL_SOCKETS });
    }
    // Lambda's 1,024 file descriptors (Lambda quotas) bound what one container may hold open.
    expect(SHARED_MAX_TOTAL_SOCKETS).toBeLessThan(1024 / 2);
  });

  it("reuses a client for the same account, Region and credentials; new credentials get a new one; expired and least recently used ones are dropped", () => {
    let now = Date.now();
    const created: MemberClientConfig[] = [];
    const cache = new MemberClientCache((config) => {
      created.push(config);
      return { n: created.length };
    }, 3, () => now);
    const first = credentialsOf(MEMBER, 3600_000);
    const one = cache.get(first, "eu-west-1");
    expect(cache.get(first, "eu-west-1")).toBe(one);
    expect(cache.get({ ...first }, "eu-west-1")).toBe(one); // an equal copy (a warm invocation's cached credentials)
    expect(cache.get(first, "us-east-1")).not.toBe(one);
    expect(created.map((c) => c.region)).toEqual(["eu-west-1", "us-east-1"]);
    expect(created[0]).toMatchObject({ credentials: { accessKeyId: `ASIA${MEMBER}`, sessionToken: "token" }, requestHandler: sharedHttpHandler(), maxAttempts: 3 });

    // Refreshed credentials (a new AssumeRole) are a new client; the same key id in another account too.
    const refreshed = credentialsOf(MEMBER, 7200_000, "ASIANEW");
    expect(cache.get(refreshed, "eu-west-1")).not.toBe(one);
    expect(cache.get({ ...first, account: "444455556666" }, "eu-west-1")).not.toBe(one);
    expect(cache.size).toBe(3);
    expect(created).toHaveLength(4);

    // Once the first credentials expire, adding a client drops theirs.
    now += 3600_001;
    cache.get(credentialsOf("555566667777", 3600_000 * 3), "eu-west-1");
    expect(cache.size).toBe(2);
    // At the cap, the least recently used goes.
    cache.get(refreshed, "eu-west-1"); // touched: most recent
    cache.get(credentialsOf("666677778888", 3600_000 * 3), "eu-west-1");
    cache.get(credentialsOf("777788889999", 3600_000 * 3), "eu-west-1");
    expect(cache.size).toBe(3);
    const before = created.length;
    cache.get(refreshed, "eu-west-1");
    expect(created).toHaveLength(before); // still cached
    cache.get(credentialsOf("555566667777", 3600_000 * 3), "eu-west-1");
    expect(created).toHaveLength(before + 1); // it was the least recently used, dropped and recreated
  });

  it("rateLimitedMemberSsmClient spaces one account and Region's calls, leaving other accounts alone", async () => {
    let clock = 0;
    const limiter = new RateLimiter({ ratePerSecond: 10, burst: 2, now: () => clock, sleep: async (ms) => void (clock += ms) });
    const a = credentialsOf("888800001111", 3600_000);
    const b = credentialsOf("888800002222", 3600_000);
    const sent = stubSend(memberSsmClient(a, REGION), () => ({}));
    const sentB = stubSend(memberSsmClient(b, REGION), () => ({}));
    const limitedA = rateLimitedMemberSsmClient(a, REGION, limiter);
    expect(limitedA.config).toBe(memberSsmClient(a, REGION).config);
    for (let i = 0; i < 12; i++) await limitedA.send(new DescribeDocumentCommand({ Name: PKG }));
    expect(sent).toHaveLength(12);
    expect(clock).toBe(1000); // 2 at once, then 10 at 100 ms each
    await rateLimitedMemberSsmClient(b, REGION, limiter).send(new DescribeDocumentCommand({ Name: PKG }));
    expect(sentB).toHaveLength(1);
    expect(clock).toBe(1000); // another account's bucket is full
    expect(memberRateKey(a, REGION)).toBe(`888800001111|${REGION}`);
  });

  it("memberSsm reuses the client of a warm invocation's cached credentials", async () => {
    const sts = centralStsClient(CENTRAL_REGION);
    const sent = stubSend(sts, () => ({ Credentials: { AccessKeyId: "ASIAWARM", SecretAccessKey: "s", SessionToken: "t", Expiration: new Date(Date.now() + 3600_000) } }));
    const cache = new CredentialCache();
    const cold = await memberSsm(sts, role(), REGION, { cache });
    const warm = await memberSsm(sts, role(), REGION, { cache });
    expect(warm).toBe(cold);
    expect(sent).toHaveLength(1);
    expect((await assumeMember(sts, role(), { cache })).account).toBe(MEMBER);
  });
});

function associationRaw() {
  return {
    Name: "AWS-ConfigureAWSPackage",
    AssociationName: "aft-fleet-example-agent",
    Parameters: { action: ["Install"], name: [PKG] },
    Targets: [{ Key: "InstanceIds", Values: ["*"] }],
    ScheduleExpression: "rate(1 day)",
  };
}

describeMoto("the association stub refuses what AWS refuses", () => {
  let moto: MotoServer | null;
  let restoreEnv: () => void;
  let ssm: SSMClient;

  beforeAll(async () => {
    moto = await startMoto();
    restoreEnv = useFakeAwsEnv(moto?.endpoint);
  });
  afterAll(async () => {
    restoreEnv?.();
    await moto?.stop();
  });
  beforeEach(() => {
    ssm = new SSMClient(clientConfig(REGION));
    installSsmStub(ssm);
  });

  it.each([
    [{ AssociationName: "ab" }, "ValidationException"],
    [{ AssociationName: "has space" }, "ValidationException"],
    [{ ScheduleExpression: "rate(10 minutes)" }, "ValidationException"],
    [{ ScheduleExpression: "rate(1 days)" }, "ValidationException"],
    [{ ScheduleExpression: "cron(0 2 * * *)" }, "ValidationException"],
    [{ ScheduleExpression: "rate(1 hour)", ApplyOnlyAtCronInterval: true }, "ValidationException"],
    [{ MaxConcurrency: "0" }, "ValidationException"],
    [{ MaxErrors: "101%" }, "ValidationException"],
    [{ ComplianceSeverity: "SEVERE" }, "ValidationException"],
    [{ Targets: Array.from({ length: 6 }, (_, i) => ({ Key: `tag:K${i}`, Values: ["v"] })) }, "ValidationException"],
    [{ Targets: [{ Key: "tag:Ring", Values: Array.from({ length: 51 }, (_, i) => `v${i}`) }] }, "ValidationException"],
    [{ Parameters: { action: ["Install"], name: [PKG], packageName: ["x"] } }, "InvalidParameters"],
    [{ Parameters: { action: ["Reinstall"], name: [PKG] } }, "InvalidParameters"],
    [{ Parameters: { action: ["Install"] } }, "InvalidParameters"],
    [{ Parameters: { action: ["Install"], name: [PKG], additionalArguments: ["not json"] } }, "InvalidParameters"],
    [{ Name: "AWS-RunShellScript" }, "InvalidDocument"],
  ])("CreateAssociation %j -> %s", async (change, errorName) => {
    await expect(ssm.send(new CreateAssociationCommand({ ...associationRaw(), ...change } as never))).rejects.toMatchObject({ name: errorName });
  });

  it("accepts the documented forms and versions updates", async () => {
    const ok = ["rate(30 minutes)", "rate(1 hour)", "cron(0 2 ? * SUN *)", "cron(0/30 * * * ? *)"];
    for (const [i, schedule] of ok.entries()) {
      await ssm.send(new CreateAssociationCommand({ ...associationRaw(), AssociationName: `ok-${i}`, ScheduleExpression: schedule, MaxErrors: "0", MaxConcurrency: "100%" }));
    }
    const created = (await ssm.send(new CreateAssociationCommand(associationRaw()))).AssociationDescription!;
    const id = created.AssociationId!;
    await expect(ssm.send(new UpdateAssociationCommand({ AssociationId: id, AssociationVersion: "7", ...associationRaw() }))).rejects.toMatchObject({ name: "AssociationVersionMismatch" });
    const updated = await ssm.send(new UpdateAssociationCommand({ AssociationId: id, AssociationVersion: "1", ...associationRaw(), MaxErrors: "1" }));
    expect(updated.AssociationDescription).toMatchObject({ AssociationVersion: "2", MaxErrors: "1" });
    // Omitted optional fields are nulled, as AWS does.
    const bare = await ssm.send(new UpdateAssociationCommand({ AssociationId: id, AssociationVersion: "$LATEST", ...associationRaw() }));
    expect(bare.AssociationDescription).toMatchObject({ AssociationVersion: "3" });
    expect(bare.AssociationDescription?.MaxErrors).toBeUndefined();
    await expect(ssm.send(new UpdateAssociationCommand({ AssociationId: "00000000-0000-0000-0000-000000000000", ...associationRaw() }))).rejects.toMatchObject({
      name: "AssociationDoesNotExist",
    });
    await expect(ssm.send(new DescribeAssociationCommand({ AssociationId: "00000000-0000-0000-0000-000000000000" }))).rejects.toMatchObject({ name: "AssociationDoesNotExist" });
  });
});

describe("ensurePackageVersion with a stubbed SSM", () => {
  // DescribeDocument lists both InvalidDocument and InvalidDocumentVersion ("The document version isn't
  // valid or doesn't exist") among its errors (DescribeDocument API reference); a VersionName the document
  // does not have yet may come back as either, and either means: add it.
  it.each(["InvalidDocument", "InvalidDocumentVersion"])("a VersionName the document lacks, answered %s, is added as a new version", async (missing) => {
    const ssm = new SSMClient({ region: REGION });
    const sent = stubSend(ssm, ({ name, input }) => {
      if (name === "DescribeDocument" && input.VersionName === "1.1.0") throw awsError(missing);
      if (name === "DescribeDocument" && input.DocumentVersion === "2") return { Document: { Name: PKG, DocumentVersion: "2", DefaultVersion: "1", Status: "Active" } };
      if (name === "DescribeDocument") return { Document: { Name: PKG, DocumentVersion: "1", DefaultVersion: "1", LatestVersion: "1", Status: "Active" } };
      if (name === "ListDocumentVersions") return { DocumentVersions: [{ DocumentVersion: "1", IsDefaultVersion: false }, { DocumentVersion: "2", IsDefaultVersion: true }] };
      if (name === "UpdateDocument") return { DocumentDescription: { DocumentVersion: "2" } };
      if (name === "UpdateDocumentDefaultVersion") return {};
      throw new Error(`unexpected ${name}`);
    });
    const result = await ensurePackageVersion(ssm, { documentName: PKG, versionName: "1.1.0", manifest: manifestOf("1.1.0"), sourceUrl: sourceUrlOf(BUCKET, PKG, "1.1.0") }, { pollTimeoutMs: 0 });
    expect(result).toMatchObject({ state: "Active", documentVersion: "2", action: "added" });
    expect(sent.map((s) => s.name)).toContain("UpdateDocument");
  });
});
