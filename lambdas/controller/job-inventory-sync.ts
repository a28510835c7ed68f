/**
 * The member's inventory resource data sync (`aft-fleet-inventory`): inventory and compliance of this
 * account and Region written to the central reports bucket. Created by the controller, not by the
 * member's Terraform tree, because AFT may apply a member's global stage before the central account's
 * stage ever made the bucket and its key.
 *
 * - Found with ListResourceDataSync (SyncType SyncToDestination: the inventory syncs), all pages.
 * - Created with CreateResourceDataSync, SyncType left out ("SyncToDestination", the default for an
 *   inventory sync to S3: CreateResourceDataSync API reference, SyncType) and S3Destination
 *   { BucketName, Prefix, SyncFormat JsonSerDe, Region, AWSKMSKeyARN }.
 * - A sync's destination cannot be updated (UpdateResourceDataSync takes only SyncFromSource syncs:
 *   UpdateResourceDataSync API reference), so a different destination is deleted and created again.
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
export const SYNC_NAME = /^[a-zA-Z0-9_\-.]{1,64}$/;
/** The sync type of an inventory sync to S3. */
export const SYNC_TO_DESTINATION = "SyncToDestination";

export type SyncAction = "created" | "unchanged" | "recreated";

function destinationOf(sync: InventorySyncRingSpec["sync"]): ResourceDataSyncS3Destination {
  return { BucketName: sync.bucketName, Prefix: sync.prefix, SyncFormat: sync.syncFormat, Region: sync.region, AWSKMSKeyARN: sync.kmsKeyArn };
}

/** Destination fields in which `current` differs from `wanted` (empty: the sync is as wanted). */
export function destinationDifferences(current: ResourceDataSyncS3Destination | undefined, wanted: ResourceDataSyncS3Destination): string[] {
  const fields = ["BucketName", "Prefix", "SyncFormat", "Region", "AWSKMSKeyARN"] as const;
  return fields.filter((f) => (current?.[f] ?? "") !== (wanted[f] ?? ""));
}

async function findSync(ssm: SSMClient, name: string, backoff?: BackoffOptions): Promise<ResourceDataSyncItem | undefined> {
  let token: string | undefined;
  do {
    const next = token;
    const page = await withBackoff(
      () => ssm.send(new ListResourceDataSyncCommand({ SyncType: SYNC_TO_DESTINATION, MaxResults: 50, ...(next ? { NextToken: next } : {}) })),
      backoff,
    );
    const found = (page.ResourceDataSyncItems ?? []).find((item) => item.SyncName === name);
    if (found) return found;
    token = page.NextToken || undefined;
  } while (token);
  return undefined;
}

/** Makes the sync exist with exactly the wanted destination: create, leave alone, or delete and create. */
export async function ensureInventorySync(ssm: SSMClient, sync: InventorySyncRingSpec["sync"], deps: { backoff?: BackoffOptions } = {}): Promise<{ action: SyncAction; differences: string[] }> {
  if (!SYNC_NAME.test(sync.name)) throw new PairInputError("sync.name", sync.name, `a SyncName matching ${SYNC_NAME.source}`);
  for (const [field, value] of Object.entries({ bucketName: sync.bucketName, region: sync.region, kmsKeyArn: sync.kmsKeyArn })) {
    if (value === "") throw new PairInputError(`sync.${field}`, value, "a value (S3Destination requires it)");
  }
  const { backoff } = deps;
  const wanted = destinationOf(sync);
  const create = () => withBackoff(() => ssm.send(new CreateResourceDataSyncCommand({ SyncName: sync.name, S3Destination: wanted })), backoff);
  const current = await findSync(ssm, sync.name, backoff);
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
