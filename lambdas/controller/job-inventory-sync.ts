/**
 * The member's inventory resource data sync (`aft-fleet-inventory`): inventory and compliance of this
 * account and Region written to the central reports bucket. Created by the controller, not by the
 * member's Terraform tree, because AFT may apply a member's global stage before the central account's
 * stage ever made the bucket and its key.
 *
 * - Found with ListResourceDataSync, SyncType SyncToDestination (the type of a sync that writes to an S3
 *   bucket: ListResourceDataSync API reference, SyncType), all pages.
 * - Created with CreateResourceDataSync, SyncType left out ("SyncToDestination", the default for an
 *   inventory sync to S3: CreateResourceDataSync API reference, SyncType) and S3Destination
 *   { BucketName, Prefix, SyncFormat JsonSerDe, Region, AWSKMSKeyARN, DestinationDataSharing }.
 *   DestinationDataSharing { DestinationDataSharingType: "Organization" } (the only value:
 *   ResourceDataSyncDestinationDataSharing API reference) is the organization setup of the User Guide
 *   ("Creating an inventory resource data sync for accounts defined in AWS Organizations", in
 *   "Configuring resource data sync for Inventory"): created in every account and Region, each writing
 *   under its own accountid= prefix, its objects tagged OrgId (the bucket policy requires the tag).
 * - "You can only have one organization-based resource data sync" (same page): another organization
 *   sync under another name in this account and Region is reported, never deleted (it is not ours).
 * - A sync's destination cannot be updated (UpdateResourceDataSync takes only SyncFromSource syncs:
 *   UpdateResourceDataSync API reference), so a different destination is deleted and created again.
 * - CreateResourceDataSync "is an asynchronous operation that returns immediately" (API reference):
 *   creation proves nothing about delivery. readInventorySyncStatus reads the sync's LastStatus back.
 *
 * AWS API actions: ssm:ListResourceDataSync, ssm:CreateResourceDataSync, ssm:DeleteResourceDataSync.
 */
import {
  CreateResourceDataSyncCommand,
  DeleteResourceDataSyncCommand,
  ListResourceDataSyncCommand,
  type ResourceDataSyncItem,
  type ResourceDataSyncS3Destination,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import type { InventorySyncRingSpec } from "../../contract";
import { withBackoff, type BackoffOptions } from "../shared/retry";
import { PairInputError, errorName } from "./pair-errors";

/** CreateResourceDataSync SyncName: `^[a-zA-Z0-9_\-.]{1,64}$` (API reference). */
const SYNC_NAME = /^[a-zA-Z0-9_\-.]{1,64}$/;
/** The sync type of an inventory sync to S3. */
const SYNC_TO_DESTINATION = "SyncToDestination";
/** DestinationDataSharingType: "Only Organization is supported" (ResourceDataSyncDestinationDataSharing API reference). */
const ORGANIZATION_SHARING = "Organization";

export type SyncAction = "created" | "unchanged" | "recreated";

/** Another organization-based sync holds this account and Region's one place (AWS allows one). */
export class OrganizationSyncTakenError extends Error {
  constructor(
    readonly wanted: string,
    readonly existing: string,
  ) {
    super(
      `resource data sync ${existing} already shares its destination with the organization (DestinationDataSharingType Organization); AWS allows one organization-based sync per account and Region, so ${wanted} cannot be created until ${existing} is deleted`,
    );
    this.name = "OrganizationSyncTakenError";
  }
}

function destinationOf(sync: InventorySyncRingSpec["sync"]): ResourceDataSyncS3Destination {
  return {
    BucketName: sync.bucketName,
    Prefix: sync.prefix,
    SyncFormat: sync.syncFormat,
    Region: sync.region,
    AWSKMSKeyARN: sync.kmsKeyArn,
    ...(sync.destinationDataSharingType !== undefined ? { DestinationDataSharing: { DestinationDataSharingType: sync.destinationDataSharingType } } : {}),
  };
}

const sharingOf = (destination: ResourceDataSyncS3Destination | undefined): string => destination?.DestinationDataSharing?.DestinationDataSharingType ?? "";

/** Destination fields in which `current` differs from `wanted` (empty: the sync is as wanted). */
export function destinationDifferences(current: ResourceDataSyncS3Destination | undefined, wanted: ResourceDataSyncS3Destination): string[] {
  const fields = ["BucketName", "Prefix", "SyncFormat", "Region", "AWSKMSKeyARN"] as const;
  const differences: string[] = fields.filter((f) => (current?.[f] ?? "") !== (wanted[f] ?? ""));
  if (sharingOf(current) !== sharingOf(wanted)) differences.push("DestinationDataSharing.DestinationDataSharingType");
  return differences;
}

/** Every SyncToDestination sync of this account and Region, all pages. */
async function listSyncs(ssm: SSMClient, backoff?: BackoffOptions): Promise<ResourceDataSyncItem[]> {
  const items: ResourceDataSyncItem[] = [];
  let token: string | undefined;
  do {
    const next = token;
    const page = await withBackoff(
      () => ssm.send(new ListResourceDataSyncCommand({ SyncType: SYNC_TO_DESTINATION, MaxResults: 50, ...(next ? { NextToken: next } : {}) })),
      backoff,
    );
    items.push(...(page.ResourceDataSyncItems ?? []));
    token = page.NextToken || undefined;
  } while (token);
  return items;
}

/** Makes the sync exist with exactly the wanted destination: create, leave alone, or delete and create. */
export async function ensureInventorySync(ssm: SSMClient, sync: InventorySyncRingSpec["sync"], deps: { backoff?: BackoffOptions } = {}): Promise<{ action: SyncAction; differences: string[] }> {
  if (!SYNC_NAME.test(sync.name)) throw new PairInputError("sync.name", sync.name, `a SyncName matching ${SYNC_NAME.source}`);
  for (const [field, value] of Object.entries({ bucketName: sync.bucketName, region: sync.region, kmsKeyArn: sync.kmsKeyArn })) {
    if (value === "") throw new PairInputError(`sync.${field}`, value, "a value (S3Destination requires it)");
  }
  if (sync.destinationDataSharingType !== undefined && sync.destinationDataSharingType !== ORGANIZATION_SHARING) {
    throw new PairInputError("sync.destinationDataSharingType", sync.destinationDataSharingType, `${ORGANIZATION_SHARING} (the only DestinationDataSharingType) or none`);
  }
  const { backoff } = deps;
  const wanted = destinationOf(sync);
  const create = () => withBackoff(() => ssm.send(new CreateResourceDataSyncCommand({ SyncName: sync.name, S3Destination: wanted })), backoff);
  const all = await listSyncs(ssm, backoff);
  const current = all.find((item) => item.SyncName === sync.name);
  if (sharingOf(wanted) === ORGANIZATION_SHARING) {
    const other = all.find((item) => item.SyncName !== sync.name && sharingOf(item.S3Destination) === ORGANIZATION_SHARING);
    if (other) throw new OrganizationSyncTakenError(sync.name, other.SyncName ?? "");
  }
  if (current === undefined) {
    try {
      await create();
      return { action: "created", differences: [] };
    } catch (error) {
      // Another writer made it between our list and create: judge what it made.
      if (errorName(error) !== "ResourceDataSyncAlreadyExistsException") throw error;
      return ensureInventorySync(ssm, sync, deps);
    }
  }
  const differences = destinationDifferences(current.S3Destination, wanted);
  if (differences.length === 0) return { action: "unchanged", differences };
  await withBackoff(() => ssm.send(new DeleteResourceDataSyncCommand({ SyncName: sync.name, SyncType: SYNC_TO_DESTINATION })), backoff);
  await create();
  return { action: "recreated", differences };
}

export type InventorySyncStatus = { status: "Pending" | "Succeeded" | "Failed"; detail?: string };

/**
 * The sync's delivery, read back after `ensureInventorySync`: ListResourceDataSync (SyncType
 * SyncToDestination, all pages), then ResourceDataSyncItem.LastStatus ("The status reported by the last
 * sync", Successful | Failed | InProgress: ResourceDataSyncItem API reference):
 * - Successful -> Succeeded (detail: LastSuccessfulSyncTime);
 * - Failed -> Failed with LastSyncStatusMessage (e.g. the bucket policy or key refusing the write);
 * - InProgress, or no LastStatus yet (no sync attempted: LastSyncTime absent) -> Pending;
 * - no sync of that name -> Failed ("sync vanished": someone deleted it after it was created).
 *
 * How long until the first LastStatus: AWS documents no bound. CreateResourceDataSync "returns
 * immediately"; "After a successful initial sync is completed, the system continuously syncs data"
 * (CreateResourceDataSync API reference), and the User Guide's walkthrough ("Use resource data sync to
 * aggregate inventory data") says the inventory "should be displayed within a few minutes" in the bucket.
 * Callers read again on later runs rather than waiting inside one.
 */
export async function readInventorySyncStatus(ssm: SSMClient, syncName: string, deps: { backoff?: BackoffOptions } = {}): Promise<InventorySyncStatus> {
  const found = (await listSyncs(ssm, deps.backoff)).find((item) => item.SyncName === syncName);
  if (found === undefined) return { status: "Failed", detail: `sync vanished: no resource data sync ${syncName} of type ${SYNC_TO_DESTINATION} in this account and Region` };
  switch (found.LastStatus) {
    case "Successful":
      return { status: "Succeeded", ...(found.LastSuccessfulSyncTime ? { detail: `last successful sync ${found.LastSuccessfulSyncTime.toISOString()}` } : {}) };
    case "Failed":
      return { status: "Failed", detail: found.LastSyncStatusMessage || "the last sync failed (no LastSyncStatusMessage)" };
    case "InProgress":
      return { status: "Pending", detail: "the sync is in progress" };
    default:
      return { status: "Pending", detail: "no sync has run yet" };
  }
}
