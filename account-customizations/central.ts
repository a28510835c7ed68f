import { Construct } from "constructs";
import type { FleetModel } from "../modules/config/model";
import { PackageArtifacts, PackageUpload } from "../modules/distributor-package";
import { FleetStack, FleetStackProps } from "../modules/aft/fleet-stack";
import { AutomationAdministration, RolloutAssociation } from "../modules/automation";
import { PackageStore } from "../modules/package-store";

export interface CentralStackOptions {
  /** Folder with the fan-out Lambda bundles (`<dir>/<handler>/index.js`), written by `buildLambdas()`. */
  readonly lambdaBundleDir: string;
}

/**
 * The central (delegated admin) account's customization: the package store with every published
 * package version, and the org fan-out that rolls each package ring out to its accounts and Regions.
 */
export class CentralStack extends FleetStack {
  readonly store: PackageStore;
  readonly automation: AutomationAdministration;

  constructor(scope: Construct, id: string, model: FleetModel, stackProps: FleetStackProps, options: CentralStackOptions) {
    super(scope, id, stackProps);
    const org = model.organization;
    this.store = new PackageStore(this, "PackageStore", {
      bucketName: model.store.bucketName,
      organizationId: org.id,
      accountId: org.centralAccount,
      region: org.homeRegion,
      packageNames: model.packages.map((p) => p.name),
      noncurrentVersionDays: model.store.noncurrentVersionDays,
      ...(model.store.accessLogBucket ? { accessLogBucket: model.store.accessLogBucket } : {}),
    });
    this.automation = new AutomationAdministration(this, "AutomationAdministration", {
      organizationId: org.id,
      managementAccountId: org.managementAccount,
      accountId: org.centralAccount,
      region: org.homeRegion,
      workloadRegions: org.workloadRegions,
      packageNames: model.packages.map((p) => p.name),
      store: this.store,
      lambdaBundleDir: options.lambdaBundleDir,
    });
    for (const pkg of model.packages) {
      const pkgScope = new Construct(this, pkg.name);
      for (const version of pkg.versions) {
        const versionScope = new Construct(pkgScope, version.version);
        const artifacts = new PackageArtifacts(versionScope, "Artifacts", { pkg, version });
        new PackageUpload(versionScope, "Upload", { artifacts, store: this.store, pkg, version });
      }
      for (const ring of pkg.rings) {
        new RolloutAssociation(pkgScope, `Rollout-${ring.name}`, {
          pkg,
          ring,
          administration: this.automation,
          workloadRegions: org.workloadRegions,
        });
      }
    }
  }
}
