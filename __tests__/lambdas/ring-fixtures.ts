/**
 * The package ring the controller's handler-level tests roll out (moto + SSM stub): a manifest.json of a
 * version and a ring spec over one OU, as modules/controller would upload them. Each test file passes its
 * bucket, package, ring and Regions and overrides what it is about.
 */
import { associationNameOf, type RingSpec } from "../../contract";

export const FIXTURE_CENTRAL_REGION = "us-east-1";

/** A Distributor manifest (schemaVersion 2.0) whose `version` is the package version, as Distributor requires. */
export function manifestOf(version: string): string {
  return JSON.stringify({
    schemaVersion: "2.0",
    version,
    packages: { amazon: { _any: { x86_64: { file: "linux.zip" } } } },
    files: { "linux.zip": { checksums: { sha256: "0".repeat(64) } } },
  });
}

export interface RingFixture {
  readonly bucket: string;
  readonly packageName: string;
  readonly ring: string;
  readonly regions: readonly string[];
  readonly ouId: string;
}

/** A first ring at release 1.0.0 over `ouId`, 100% of its pairs at once, MaxErrors 0; `overrides` last. */
export function packageRingSpec(fixture: RingFixture, overrides: Partial<RingSpec> = {}): RingSpec {
  return {
    schemaVersion: 1,
    package: fixture.packageName,
    ring: fixture.ring,
    ringIndex: 0,
    release: "1.0.0",
    publishedVersions: ["1.0.0"],
    targets: { accounts: [], organizationalUnits: [fixture.ouId] },
    earlierRingTargets: [],
    regions: fixture.regions,
    managementAccount: "123456789012",
    organizationId: "o-exampleorgid",
    alarms: [],
    maxConcurrency: "100%",
    maxErrors: "0",
    versionRetention: 10,
    store: { bucket: fixture.bucket, region: FIXTURE_CENTRAL_REGION },
    association: {
      name: associationNameOf(fixture.packageName),
      action: "Install",
      installationType: "Uninstall and reinstall",
      additionalArguments: {},
      targets: [],
      scheduleExpression: "rate(30 minutes)",
      maxConcurrency: "10%",
      maxErrors: "5%",
      complianceSeverity: "HIGH",
    },
    ...overrides,
  };
}
