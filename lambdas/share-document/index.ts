/**
 * share-document: shares an SSM document (e.g. the Distributor package or a custom runbook) owned by
 * the calling account with the target accounts, in every Region, at most 20 accounts per call (the
 * ModifyDocumentPermission limit). Adding an account that already has access is a no-op, so reruns
 * are safe; access is never removed here, so running rollouts are not cut off.
 *
 * AWS API actions: ssm:ModifyDocumentPermission.
 */
import { ModifyDocumentPermissionCommand, SSMClient } from "@aws-sdk/client-ssm";
import { chunk, sortedUnique } from "../shared/chunk";
import { clientConfig, perRegion } from "../shared/clients";
import { withBackoff, type BackoffOptions } from "../shared/retry";
import {
  ACCOUNT_ID,
  REGION,
  asEvent,
  optionalString,
  requireString,
  requireStringArray,
} from "../shared/validate";

/** ModifyDocumentPermission accepts at most 20 account ids per call. */
export const MAX_ACCOUNTS_PER_CALL = 20;

/** Own document names only: ModifyDocumentPermission does not take ARNs. */
const OWN_DOCUMENT_NAME = /^[a-zA-Z0-9_\-.]{3,128}$/;
const SHARED_VERSION = /^\$(ALL|DEFAULT|LATEST)$/;

export interface ShareDocumentEvent {
  documentName: string;
  regions: string[];
  accounts: string[];
  /** The calling (owner) account; removed from `accounts`, since a document cannot be shared with its owner. */
  selfAccountId?: string;
  /**
   * Which versions the accounts may use: `$ALL` lets rings pin a version other than the default.
   * @default the service default ($DEFAULT)
   */
  sharedDocumentVersion?: string;
}

export interface ShareBatch {
  region: string;
  accounts: string[];
}

export interface ShareDocumentResult {
  batches: ShareBatch[];
}

export interface ShareDocumentDeps {
  ssmFor: (region: string) => SSMClient;
  backoff?: BackoffOptions;
}

export function parseShareDocumentEvent(raw: unknown): ShareDocumentEvent {
  const event = asEvent(raw);
  const selfAccountId = optionalString(event, "selfAccountId", ACCOUNT_ID, "a 12-digit account id");
  const sharedDocumentVersion = optionalString(event, "sharedDocumentVersion", SHARED_VERSION, "$ALL, $DEFAULT or $LATEST");
  return {
    documentName: requireString(event, "documentName", OWN_DOCUMENT_NAME, "a document name of 3-128 characters [a-zA-Z0-9_.-]"),
    regions: requireStringArray(event, "regions", { pattern: REGION, allowed: "Region names", minItems: 1 }),
    accounts: requireStringArray(event, "accounts", { pattern: ACCOUNT_ID, allowed: "12-digit account ids" }),
    ...(selfAccountId === undefined ? {} : { selfAccountId }),
    ...(sharedDocumentVersion === undefined ? {} : { sharedDocumentVersion }),
  };
}

export async function shareDocument(raw: unknown, deps: ShareDocumentDeps): Promise<ShareDocumentResult> {
  const event = parseShareDocumentEvent(raw);
  const accounts = sortedUnique(event.accounts).filter((account) => account !== event.selfAccountId);
  const batches: ShareBatch[] = [];
  for (const region of sortedUnique(event.regions)) {
    const ssm = deps.ssmFor(region);
    for (const group of chunk(accounts, MAX_ACCOUNTS_PER_CALL)) {
      await withBackoff(
        () =>
          ssm.send(
            new ModifyDocumentPermissionCommand({
              Name: event.documentName,
              PermissionType: "Share",
              AccountIdsToAdd: group,
              SharedDocumentVersion: event.sharedDocumentVersion,
            }),
          ),
        deps.backoff,
      );
      batches.push({ region, accounts: group });
    }
  }
  return { batches };
}

const ssmFor = perRegion((region) => new SSMClient(clientConfig(region)));

export async function handler(event: unknown): Promise<ShareDocumentResult> {
  return shareDocument(event, { ssmFor });
}
