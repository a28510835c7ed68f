/**
 * The ring spec: everything the controller needs to run one ring of one package, as data. Terraform
 * uploads it (central tree) to `controller/<package>/<ring>.json`; the ring's association passes only
 * its key and content hash to the runbook, so no config text meets Automation's parameter limits.
 */

import type { FreezeWindow } from "./freezes";

export const RING_SPEC_SCHEMA_VERSION = 1;

/** Which accounts a ring covers: OUs are walked recursively; only ACTIVE accounts count. */
export interface RingTargets {
  readonly accounts: readonly string[];
  readonly organizationalUnits: readonly string[];
}

/** A managed-node target of the member association (CreateAssociation Targets entry). */
export interface NodeTarget {
  readonly Key: string;
  readonly Values: readonly string[];
}

/** What the ring before this one must show before this ring takes a new release. */
export interface PreviousRing {
  readonly name: string;
  /** Seconds to wait after the previous ring reached the release (not applied to rollbacks). */
  readonly bakeSeconds: number;
  /** CloudWatch alarm names (central account, home Region); any in ALARM blocks promotion. */
  readonly alarms: readonly string[];
  /** Ring-wide MaxErrors of the previous ring: its success threshold is total minus this budget. */
  readonly maxErrors: string;
}

/**
 * What a ring's pairs do. One per-pair operation per kind; lease, ledger, journal, gates, rate control
 * and summary are shared.
 * - package (default when absent): keep a Distributor package at the ring's version.
 * - emergency-patch: run AWS-RunPatchBaseline once per campaign (the campaign id is the "version").
 * - inventory-sync: keep the resource data sync to the central reports bucket (the "version" is a
 *   fingerprint of the destination).
 * - asg-image: patch the image of every environment-tagged Auto Scaling group's launch template and
 *   refresh the group's instances, once per campaign (the campaign id is the "version").
 */
export type RingKind = "package" | "emergency-patch" | "inventory-sync" | "asg-image";

/** What every kind of ring spec has: targets, ring order, gates and ring-wide rate control. */
export interface RingSpecCore {
  readonly schemaVersion: typeof RING_SPEC_SCHEMA_VERSION;
  readonly kind?: RingKind;
  /** The package, or the controller job (`_emergency`, `_inventory`): names the ledger and the spec key. */
  readonly package: string;
  readonly ring: string;
  /** Position in the package's ring order (0 = first ring). */
  readonly ringIndex: number;
  /** The version the fleet should reach (the campaign id, the destination fingerprint). */
  readonly release: string;
  /** Holds this ring at a version (hold or rollback): the ring takes it at once, whatever the gates. */
  readonly pin?: string;
  readonly targets: RingTargets;
  /** Accounts owned by earlier rings of this package: never touched by this ring. */
  readonly earlierRingTargets: readonly RingTargets[];
  /** Regions in which every target account gets the package. */
  readonly regions: readonly string[];
  /** The organization's management account: never targeted unless listed in `targets.accounts`. */
  readonly managementAccount: string;
  readonly organizationId: string;
  readonly previous?: PreviousRing;
  /** This ring's own alarms: any in ALARM stops new starts in this ring. */
  readonly alarms: readonly string[];
  /** Ring-wide: account-Region pairs in flight at once. */
  readonly maxConcurrency: string;
  /** Ring-wide: failed pairs after which the ring starts nothing more. */
  readonly maxErrors: string;
  /**
   * The operator's acknowledgement of a halt: a halt recorded with another (or no) `resume` is cleared, so
   * the ring starts new pairs again. Any new value (a date, a ticket id) clears the current halt once.
   */
  readonly resume?: string;
  /** Change freezes (contract/freezes.ts): while one holds, the ring starts no new pairs. Absent: none. */
  readonly freezes?: readonly FreezeWindow[];
  /** Emergency and Auto Scaling campaigns only: start new pairs during the freezes too. */
  readonly overrideFreezes?: boolean;
}

/** A package ring (kind absent or "package"): the shape every package ring spec had before kinds. */
export interface RingSpec extends RingSpecCore {
  readonly kind?: "package";
  /** Versions uploaded to the store (the controller can create documents only from these). */
  readonly publishedVersions: readonly string[];
  /** Document versions a member Package document keeps (Distributor allows 25). */
  readonly versionRetention: number;
  /** Where the package versions are: `s3://<bucket>/<package>/<version>/`. */
  readonly store: { readonly bucket: string; readonly region: string };
  /** The member association (`AWS-ConfigureAWSPackage`), created or updated in every pair. */
  readonly association: {
    readonly name: string;
    readonly action: "Install" | "Uninstall";
    readonly installationType: "Uninstall and reinstall" | "In-place update";
    readonly additionalArguments: Readonly<Record<string, string>>;
    readonly targets: readonly NodeTarget[];
    readonly scheduleExpression: string;
    /** Managed nodes in flight within one account and Region. */
    readonly maxConcurrency: string;
    readonly maxErrors: string;
    readonly complianceSeverity: "CRITICAL" | "HIGH" | "MEDIUM" | "LOW" | "UNSPECIFIED";
  };
}

/** An emergency patch ring: `release` is the campaign id; a pair is done once per campaign. */
export interface EmergencyPatchRingSpec extends RingSpecCore {
  readonly kind: "emergency-patch";
  /** SendCommand of AWS-RunPatchBaseline in every pair. */
  readonly command: {
    readonly operation: "Scan" | "Install";
    readonly rebootOption: "RebootIfNeeded" | "NoReboot";
    /** SendCommand Targets (at most 5 entries, AND across keys). */
    readonly targets: readonly NodeTarget[];
    /** Managed nodes in flight within one account and Region (SendCommand MaxConcurrency / MaxErrors). */
    readonly maxConcurrency: string;
    readonly maxErrors: string;
  };
}

/** The inventory resource data sync ring: `release` is a fingerprint of `sync`'s destination. */
export interface InventorySyncRingSpec extends RingSpecCore {
  readonly kind: "inventory-sync";
  readonly sync: {
    /** SyncName (`aft-fleet-inventory`). */
    readonly name: string;
    readonly bucketName: string;
    readonly prefix: string;
    readonly syncFormat: "JsonSerDe";
    /** The bucket's Region (home Region). */
    readonly region: string;
    /** The reports key: the bucket policy refuses objects encrypted otherwise. */
    readonly kmsKeyArn: string;
    /**
     * S3Destination.DestinationDataSharing.DestinationDataSharingType ("Organization" is the only value:
     * ResourceDataSyncDestinationDataSharing API reference): the organization sync, whose objects carry the
     * OrgId tag the bucket policy requires. Absent: a sync without data sharing.
     */
    readonly destinationDataSharingType?: "Organization";
  };
}

/** The Auto Scaling patched-image ring: `release` is the campaign id; a pair is done once per campaign. */
export interface AsgImageRingSpec extends RingSpecCore {
  readonly kind: "asg-image";
  readonly image: {
    /** Groups tagged `<tagKey>` with one of `tagValues` (Default and the environments; at most 50). */
    readonly tagKey: string;
    readonly tagValues: readonly string[];
    /** StartInstanceRefresh Preferences.MinHealthyPercentage (0-100). */
    readonly healthyPercentage: number;
    /** IamInstanceProfileName of the AWS-UpdateLinuxAmi / AWS-UpdateWindowsAmi automation (a member instance profile). */
    readonly instanceProfileName: string;
    /** AutomationAssumeRole: a member role name; the controller passes `arn:<partition>:iam::<account>:role/<name>`. */
    readonly automationRoleName: string;
  };
}

export type AnyRingSpec = RingSpec | EmergencyPatchRingSpec | InventorySyncRingSpec | AsgImageRingSpec;

export function ringKindOf(spec: RingSpecCore): RingKind {
  return spec.kind ?? "package";
}
