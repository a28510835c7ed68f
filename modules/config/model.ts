/*
 * The normalized, fully-resolved fleet model. Pure data: synth, the PR report and the benchmarks read it;
 * nothing downstream re-parses the config. Every list is sorted where order carries no meaning.
 */

export type Platform = "amazon" | "centos" | "debian" | "opensuse" | "opensuseleap" | "redhat" | "suse" | "ubuntu" | "windows";
export type Arch = "x86_64" | "arm64" | "386";
export type InstallationType = "Uninstall and reinstall" | "In-place update";

export interface TargetGroup {
  readonly name: string;
  readonly accounts: readonly string[];
  readonly organizationalUnits: readonly string[];
  /** Tag key -> values. Empty means every managed node. */
  readonly instanceTags: Readonly<Record<string, readonly string[]>>;
}

export interface Organization {
  readonly id: string;
  readonly managementAccount: string;
  readonly centralAccount: string;
  readonly homeRegion: string;
  /** Home Region first, then the others in alphabetical order. */
  readonly workloadRegions: readonly string[];
  readonly targetGroups: Readonly<Record<string, TargetGroup>>;
}

export interface PlatformEntry {
  readonly platform: Platform;
  readonly platformVersion: string;
  readonly arch: Arch;
  /** Name of the zip (without `.zip`) and of the source folder under the version folder. */
  readonly folder: string;
}

/** One zip of a package version: a platform folder's files. */
export interface Bundle {
  readonly folder: string;
  /** File name in the store and in the manifest, e.g. `linux.zip`. */
  readonly zipName: string;
  /** Absolute path of the source folder (read at synth time, never emitted). */
  readonly sourceDir: string;
  /** File paths relative to sourceDir, sorted. */
  readonly files: readonly string[];
}

export interface PackageVersion {
  readonly version: string;
  /** S3 key prefix in the store, `packages/<package>/<version>/` (contract `versionPrefix`; no leading slash). */
  readonly prefix: string;
  readonly bundles: readonly Bundle[];
}

export interface RolloutRing {
  readonly name: string;
  readonly targetGroup: TargetGroup;
  /** Holds the ring at this version (hold or rollback), whatever the release and the gates. */
  readonly pin?: string;
  /** The next ring waits this long after this ring reached a release (not for rollbacks). */
  readonly bakeSeconds: number;
  /** CloudWatch alarm names (central account, home Region), sorted. */
  readonly alarms: readonly string[];
  readonly action: "Install" | "Uninstall";
  /** The member association's schedule. */
  readonly schedule: string;
  /** Ring-wide: account-Region pairs in flight at once. */
  readonly maxConcurrency: string;
  /** Ring-wide: failed pairs after which the ring starts nothing more. */
  readonly maxErrors: string;
  /** Per account and Region: the member association's MaxConcurrency / MaxErrors over managed nodes. */
  readonly nodeMaxConcurrency: string;
  readonly nodeMaxErrors: string;
  readonly complianceSeverity: "CRITICAL" | "HIGH" | "MEDIUM" | "LOW" | "UNSPECIFIED";
  /** The ring spec's `resume`: a new value acknowledges a halt at the error budget. */
  readonly resume?: string;
}

export interface FleetPackage {
  readonly name: string;
  readonly publisher: string;
  readonly description: string;
  readonly installationType: InstallationType;
  readonly additionalArguments: Readonly<Record<string, string>>;
  readonly platforms: readonly PlatformEntry[];
  /** The version the fleet should reach. */
  readonly release: string;
  /** Published versions (uploaded to the store), sorted by version string. */
  readonly versions: readonly PackageVersion[];
  /** Document versions each member keeps (Distributor allows 25). */
  readonly versionRetention: number;
  /** Schedule of the controller's ring associations. */
  readonly controllerSchedule: string;
  /** In config order: the rollout order. */
  readonly rings: readonly RolloutRing[];
}

export interface PackageStoreSettings {
  readonly bucketName: string;
  readonly accessLogBucket?: string;
  readonly noncurrentVersionDays: number;
  /** kms: SSE-KMS with a customer key; s3: SSE-S3. */
  readonly encryption: "kms" | "s3";
  /** Days run plans and summaries under rollouts/ are kept. */
  readonly rolloutRetentionDays: number;
}

export interface DirectDeployment {
  readonly stateBucket: string;
  readonly stateRegion: string;
  readonly stateKeyPrefix: string;
  readonly lockTable?: string;
  readonly memberAccounts: readonly string[];
  readonly memberRoleName: string;
}

export interface Deployment {
  readonly mode: "aft" | "direct";
  readonly accountCustomizationName: string;
  /** Whether the member tree declares required_providers (omit: the global repository's own block does). */
  readonly memberProviderRequirements: "emit" | "omit";
  readonly direct?: DirectDeployment;
}

import type { Orchestration } from "./orchestration";
import type { Patching } from "./patching";
import type { Freezes } from "./freezes";
import type { Notifications } from "./notifications";

export interface FleetModel {
  /** The config file as the user named it (for messages and the report); never an absolute path in output. */
  readonly source: string;
  readonly organization: Organization;
  readonly deployment: Deployment;
  readonly store: PackageStoreSettings;
  readonly packages: readonly FleetPackage[];
  /** Cross-account orchestration; absent when the config has no orchestration section. */
  readonly orchestration?: Orchestration;
  /** Patch management; absent when the config has no patching section. */
  readonly patching?: Patching;
  /** Change freezes; absent when the config has no freezes section. */
  readonly freezes?: Freezes;
  /** Where ring events go besides the central default bus; absent without the section. */
  readonly notifications?: Notifications;
}
