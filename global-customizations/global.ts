import { Construct } from "constructs";
import type { FleetModel } from "../modules/config/model";
import { PackageArtifacts, sourceUrlOf } from "../modules/distributor-package";
import { FleetAssociation } from "../modules/fleet-association";
import { FleetStack, FleetStackProps } from "../modules/aft/fleet-stack";
import { AutomationExecution } from "../modules/automation";

/**
 * What AFT applies in every account: per package, the Distributor package document and the State
 * Manager association in each workload Region (SPEC §6.D), and the member side of the org fan-out
 * (the Automation execution role and the aft-fleet-InstallPackage runbook, SPEC §6.C).
 */
export class GlobalStack extends FleetStack {
  constructor(scope: Construct, id: string, model: FleetModel, stackProps: FleetStackProps) {
    super(scope, id, stackProps);
    const org = model.organization;
    new AutomationExecution(this, "AutomationExecution", {
      organizationId: org.id,
      centralAccountId: org.centralAccount,
      homeRegion: org.homeRegion,
      workloadRegions: org.workloadRegions,
      packageNames: model.packages.map((p) => p.name),
    });
    for (const pkg of model.packages) {
      const pkgScope = new Construct(this, pkg.name);
      for (const ring of pkg.rings) {
        const version = pkg.versions.find((v) => v.version === ring.version);
        if (!version) throw new Error(`ring ${ring.name} of ${pkg.name} pins unresolved version ${ring.version}`);
        // One set of zips per version serves every Region: the manifest only carries their checksums.
        const artifacts = new PackageArtifacts(new Construct(pkgScope, version.version), "Artifacts", { pkg, version });
        for (const region of org.workloadRegions) {
          new FleetAssociation(pkgScope, region, {
            pkg,
            ring,
            version,
            artifacts,
            region,
            storeBucket: model.store.bucketName,
            storeRegion: org.homeRegion,
            sourceUrl: sourceUrlOf(model.store.bucketName, version),
          });
        }
      }
    }
  }
}
