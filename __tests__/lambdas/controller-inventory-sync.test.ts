/**
 * The inventory resource data sync's per-pair operations against the SSM stub (ssm-association-stub.ts),
 * which answers the resource data sync APIs itself (moto has none) and refuses what
 * CreateResourceDataSync refuses: ensureInventorySync (create, leave alone, recreate on any destination
 * difference including the data sharing type, one organization sync per account and Region) and
 * readInventorySyncStatus (ListResourceDataSync LastStatus read back).
 */
import { CreateResourceDataSyncCommand, SSMClient, type ResourceDataSyncS3Destination } from "@aws-sdk/client-ssm";
import { INVENTORY_SYNC_NAME, type InventorySyncRingSpec } from "../../contract";
import { OrganizationSyncTakenError, destinationDifferences, ensureInventorySync, readInventorySyncStatus } from "../../lambdas/controller/job-inventory-sync";
import { PairInputError } from "../../lambdas/controller/pair-errors";
import { installSsmStub, type SsmStub } from "./ssm-association-stub";

const KEY_ARN = "arn:aws:kms:us-east-1:222222222222:key/00000000-0000-4000-8000-000000000001";
const OTHER_KEY_ARN = "arn:aws:kms:us-east-1:222222222222:key/00000000-0000-4000-8000-000000000002";
const BUCKET = "aft-fleet-patching-222222222222-us-east-1";
const noWait = { backoff: { sleep: async () => undefined } };

const orgSync = (overrides: Partial<InventorySyncRingSpec["sync"]> = {}): InventorySyncRingSpec["sync"] => ({
  name: INVENTORY_SYNC_NAME,
  bucketName: BUCKET,
  prefix: "inventory",
  syncFormat: "JsonSerDe",
  region: "us-east-1",
  kmsKeyArn: KEY_ARN,
  destinationDataSharingType: "Organization",
  ...overrides,
});
const orgDestination: ResourceDataSyncS3Destination = {
  BucketName: BUCKET,
  Prefix: "inventory",
  SyncFormat: "JsonSerDe",
  Region: "us-east-1",
  AWSKMSKeyARN: KEY_ARN,
  DestinationDataSharing: { DestinationDataSharingType: "Organization" },
};

let ssm: SSMClient;
let stub: SsmStub;

beforeEach(() => {
  // Every command these tests send is answered by the stub; nothing reaches the endpoint.
  ssm = new SSMClient({ region: "eu-west-1", endpoint: "http://127.0.0.1:9", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  // Pages of 2: the callers must follow NextToken (ListResourceDataSync MaxResults is 1-50, AWS may return fewer).
  stub = installSsmStub(ssm, { pageSize: 2 });
});

/** Syncs that are not ours, listed before ours so ours is on a later page. */
async function otherSyncs(count: number, sharing?: "Organization"): Promise<void> {
  for (let i = 0; i < count; i++) {
    await ssm.send(
      new CreateResourceDataSyncCommand({
        SyncName: `a-other-${i}`,
        S3Destination: { BucketName: "someone-elses-bucket", SyncFormat: "JsonSerDe", Region: "eu-west-1", ...(sharing && i === 0 ? { DestinationDataSharing: { DestinationDataSharingType: sharing } } : {}) },
      }),
    );
  }
}

describe("ensureInventorySync", () => {
  it("creates the organization sync with DestinationDataSharing Organization and SyncType left to its default", async () => {
    expect(await ensureInventorySync(ssm, orgSync(), noWait)).toEqual({ action: "created", differences: [] });
    const creates = stub.named("CreateResourceDataSync");
    expect(creates).toHaveLength(1);
    // The organization setup's create-resource-data-sync (User Guide): S3Destination with
    // DestinationDataSharing={DestinationDataSharingType=Organization}; no SyncType (SyncToDestination is the default).
    expect(creates[0]!.input).toEqual({ SyncName: INVENTORY_SYNC_NAME, S3Destination: orgDestination });
    expect(stub.syncs.get(INVENTORY_SYNC_NAME)).toMatchObject({ SyncType: "SyncToDestination", S3Destination: orgDestination });
    // Listing asks for SyncToDestination, the S3 syncs (ListResourceDataSync SyncType).
    for (const list of stub.named("ListResourceDataSync")) expect(list.input.SyncType).toBe("SyncToDestination");
  });

  it("finds its sync on a later page and leaves a sync with the same destination alone", async () => {
    await otherSyncs(3);
    await ensureInventorySync(ssm, orgSync(), noWait);
    stub.sent.length = 0;
    expect(await ensureInventorySync(ssm, orgSync(), noWait)).toEqual({ action: "unchanged", differences: [] });
    expect(stub.named("ListResourceDataSync").length).toBeGreaterThan(1);
    expect(stub.named("CreateResourceDataSync")).toHaveLength(0);
    expect(stub.named("DeleteResourceDataSync")).toHaveLength(0);
  });

  it("recreates a sync made without organization sharing: the sharing type is part of the destination", async () => {
    const { DestinationDataSharing: _sharing, ...accountOnly } = orgDestination;
    await ssm.send(new CreateResourceDataSyncCommand({ SyncName: INVENTORY_SYNC_NAME, S3Destination: accountOnly }));
    stub.sent.length = 0;
    expect(await ensureInventorySync(ssm, orgSync(), noWait)).toEqual({ action: "recreated", differences: ["DestinationDataSharing.DestinationDataSharingType"] });
    expect(stub.named("DeleteResourceDataSync").map((c) => c.input)).toEqual([{ SyncName: INVENTORY_SYNC_NAME, SyncType: "SyncToDestination" }]);
    expect(stub.syncs.get(INVENTORY_SYNC_NAME)!.S3Destination).toEqual(orgDestination);
  });

  it("recreates an organization sync when the spec no longer shares, and on a different key", async () => {
    await ensureInventorySync(ssm, orgSync(), noWait);
    const { destinationDataSharingType: _t, ...accountSync } = orgSync();
    expect(await ensureInventorySync(ssm, accountSync, noWait)).toEqual({ action: "recreated", differences: ["DestinationDataSharing.DestinationDataSharingType"] });
    expect(stub.syncs.get(INVENTORY_SYNC_NAME)!.S3Destination!.DestinationDataSharing).toBeUndefined();
    expect(await ensureInventorySync(ssm, orgSync({ kmsKeyArn: OTHER_KEY_ARN }), noWait)).toEqual({
      action: "recreated",
      differences: ["AWSKMSKeyARN", "DestinationDataSharing.DestinationDataSharingType"],
    });
  });

  it("refuses to create a second organization sync next to someone else's, and never deletes theirs", async () => {
    await otherSyncs(3, "Organization");
    const error = await ensureInventorySync(ssm, orgSync(), noWait).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OrganizationSyncTakenError);
    expect((error as Error).message).toContain("a-other-0");
    expect(stub.named("CreateResourceDataSync").filter((c) => c.input.SyncName === INVENTORY_SYNC_NAME)).toHaveLength(0);
    expect(stub.named("DeleteResourceDataSync")).toHaveLength(0);
    expect(stub.syncs.has("a-other-0")).toBe(true);
    // A sync that does not share with the organization takes no organization place.
    const { destinationDataSharingType: _t, ...accountSync } = orgSync();
    expect((await ensureInventorySync(ssm, accountSync, noWait)).action).toBe("created");
  });

  it("refuses a sharing type other than Organization before any call", async () => {
    const bad = { ...orgSync(), destinationDataSharingType: "Account" } as unknown as InventorySyncRingSpec["sync"];
    await expect(ensureInventorySync(ssm, bad, noWait)).rejects.toBeInstanceOf(PairInputError);
    expect(stub.sent).toHaveLength(0);
  });

  it("lists again when its create meets ResourceDataSyncAlreadyExistsException (another writer between list and create)", async () => {
    stub.fail("CreateResourceDataSync", "ResourceDataSyncAlreadyExistsException");
    expect((await ensureInventorySync(ssm, orgSync(), noWait)).action).toBe("created");
    expect(stub.sent.map((c) => c.name)).toEqual(["ListResourceDataSync", "CreateResourceDataSync", "ListResourceDataSync", "CreateResourceDataSync"]);
  });

  it("destinationDifferences compares every S3Destination field, absent and empty alike", () => {
    expect(destinationDifferences(orgDestination, orgDestination)).toEqual([]);
    expect(destinationDifferences(undefined, orgDestination)).toEqual(["BucketName", "Prefix", "SyncFormat", "Region", "AWSKMSKeyARN", "DestinationDataSharing.DestinationDataSharingType"]);
    expect(destinationDifferences({ ...orgDestination, Prefix: "other", DestinationDataSharing: {} }, orgDestination)).toEqual(["Prefix", "DestinationDataSharing.DestinationDataSharingType"]);
  });
});

describe("the stub refuses what CreateResourceDataSync refuses: data sharing", () => {
  const create = (name: string, sharing: Record<string, unknown>) =>
    ssm.send(new CreateResourceDataSyncCommand({ SyncName: name, S3Destination: { ...orgDestination, DestinationDataSharing: sharing } as ResourceDataSyncS3Destination }));

  it("only Organization, 1-64 characters (ResourceDataSyncDestinationDataSharing API reference)", async () => {
    await expect(create("s1", { DestinationDataSharingType: "Account" })).rejects.toMatchObject({ name: "ResourceDataSyncInvalidConfigurationException" });
    await expect(create("s1", { DestinationDataSharingType: "" })).rejects.toMatchObject({ name: "ValidationException" });
    await expect(create("s1", { DestinationDataSharingType: "O".repeat(65) })).rejects.toMatchObject({ name: "ValidationException" });
    expect(stub.syncs.size).toBe(0);
    await create("s1", { DestinationDataSharingType: "Organization" });
    expect(stub.syncs.has("s1")).toBe(true);
  });

  it("one organization-based sync per account and Region (User Guide, organization setup)", async () => {
    await create("s1", { DestinationDataSharingType: "Organization" });
    await expect(create("s2", { DestinationDataSharingType: "Organization" })).rejects.toMatchObject({ name: "ResourceDataSyncInvalidConfigurationException" });
    await expect(create("s1", { DestinationDataSharingType: "Organization" })).rejects.toMatchObject({ name: "ResourceDataSyncAlreadyExistsException" });
    expect([...stub.syncs.keys()]).toEqual(["s1"]);
  });
});

describe("readInventorySyncStatus", () => {
  beforeEach(async () => {
    await otherSyncs(3);
    await ensureInventorySync(ssm, orgSync(), noWait);
    stub.sent.length = 0;
  });

  it("a new sync is Pending (InProgress, or no run reported yet), never Succeeded at create", async () => {
    expect(await readInventorySyncStatus(ssm, INVENTORY_SYNC_NAME, noWait)).toEqual({ status: "Pending", detail: "the sync is in progress" });
    stub.syncStatus(INVENTORY_SYNC_NAME, undefined);
    expect(await readInventorySyncStatus(ssm, INVENTORY_SYNC_NAME, noWait)).toEqual({ status: "Pending", detail: "no sync has run yet" });
    // ListResourceDataSync with SyncType SyncToDestination, followed to the page that holds the sync.
    const lists = stub.named("ListResourceDataSync");
    expect(lists.length).toBeGreaterThan(2);
    for (const l of lists) expect(l.input).toMatchObject({ SyncType: "SyncToDestination" });
  });

  it("LastStatus Successful is Succeeded, with the last successful sync time", async () => {
    stub.syncStatus(INVENTORY_SYNC_NAME, "Successful");
    const status = await readInventorySyncStatus(ssm, INVENTORY_SYNC_NAME, noWait);
    expect(status.status).toBe("Succeeded");
    expect(status.detail).toBe(`last successful sync ${stub.syncs.get(INVENTORY_SYNC_NAME)!.LastSuccessfulSyncTime!.toISOString()}`);
  });

  it("LastStatus Failed is Failed with LastSyncStatusMessage", async () => {
    const message = "Access Denied: the bucket policy does not allow PutObject for this sync";
    stub.syncStatus(INVENTORY_SYNC_NAME, "Failed", message);
    expect(await readInventorySyncStatus(ssm, INVENTORY_SYNC_NAME, noWait)).toEqual({ status: "Failed", detail: message });
    stub.syncStatus(INVENTORY_SYNC_NAME, "Failed");
    expect((await readInventorySyncStatus(ssm, INVENTORY_SYNC_NAME, noWait)).status).toBe("Failed");
  });

  it("a sync that later fails after a success is Failed; one that recovers is Succeeded", async () => {
    stub.syncStatus(INVENTORY_SYNC_NAME, "Successful");
    stub.syncStatus(INVENTORY_SYNC_NAME, "Failed", "KMS key disabled");
    expect(await readInventorySyncStatus(ssm, INVENTORY_SYNC_NAME, noWait)).toEqual({ status: "Failed", detail: "KMS key disabled" });
    stub.syncStatus(INVENTORY_SYNC_NAME, "Successful");
    expect((await readInventorySyncStatus(ssm, INVENTORY_SYNC_NAME, noWait)).status).toBe("Succeeded");
  });

  it("a sync that is gone is Failed: sync vanished", async () => {
    stub.syncs.delete(INVENTORY_SYNC_NAME);
    const status = await readInventorySyncStatus(ssm, INVENTORY_SYNC_NAME, noWait);
    expect(status.status).toBe("Failed");
    expect(status.detail).toMatch(/^sync vanished/);
  });

  it("retries a throttled list with backoff and surfaces other errors", async () => {
    stub.throttle("ListResourceDataSync", 2);
    const sleeps: number[] = [];
    const backoff = { sleep: async (ms: number) => void sleeps.push(ms), random: () => 1 };
    expect((await readInventorySyncStatus(ssm, INVENTORY_SYNC_NAME, { backoff })).status).toBe("Pending");
    expect(sleeps).toEqual([500, 1000]);
    stub.fail("ListResourceDataSync", "AccessDeniedException");
    await expect(readInventorySyncStatus(ssm, INVENTORY_SYNC_NAME, noWait)).rejects.toMatchObject({ name: "AccessDeniedException" });
  });
});
