import { Construct } from "constructs";
import type { FleetModel } from "../modules/config/model";
import { PackageArtifacts, PackageUpload } from "../modules/distributor-package";
import { FleetStack, FleetStackProps } from "../modules/aft/fleet-stack";
import { PackageStore } from "../modules/package-store";

/**
 * The central (delegated admin) account's customization: the package store and every published
 * package version in it.
 */
export class CentralStack extends FleetStack {
  readonly store: PackageStore;

  constructor(scope: Construct, id: string, model: FleetModel, stackProps: FleetStackProps) {
    super(scope, id, stackProps);
    const org = model.organization;
    this.store = new PackageStore(this, "PackageStore", {
      bucketName: model.store.bucketName,
      organizationId: org.id,
      accountId: org.centralAccount,
      region: org.homeRegion,
      noncurrentVersionDays: model.store.noncurrentVersionDays,
      ...(model.store.accessLogBucket ? { accessLogBucket: model.store.accessLogBucket } : {}),
    });
    for (const pkg of model.packages) {
      const pkgScope = new Construct(this, pkg.name);
      for (const version of pkg.versions) {
        const versionScope = new Construct(pkgScope, version.version);
        const artifacts = new PackageArtifacts(versionScope, "Artifacts", { pkg, version });
        new PackageUpload(versionScope, "Upload", { artifacts, store: this.store, pkg, version });
      }
    }
  }
}
