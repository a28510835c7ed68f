import type { Construct } from "constructs";
import { parameterReferences } from "../contract/patterns";
import type { FleetModel } from "../modules/config/model";
import { FleetStack, FleetStackProps } from "../modules/core/fleet-stack";
import { ExecutionRole } from "../modules/execution-role";
import { OrchestrationMemberRole } from "../modules/orchestration";
import { PackageParameterPolicy } from "../modules/package-parameters";
import { PatchingMember } from "../modules/patching";
import { storeKeyAliasOf } from "../modules/package-store";

/**
 * What AFT applies in every account, the central one included: the execution role the central rollout
 * controller assumes, and (when configured) patch management. No package documents, associations,
 * package sources or runbooks: those are made by the controller at run time, so no member pipeline
 * waits on the central one and moving a version needs no AFT run.
 */
export class GlobalStack extends FleetStack {
  constructor(scope: Construct, id: string, model: FleetModel, stackProps: FleetStackProps) {
    super(scope, id, stackProps);
    const org = model.organization;
    const packageParameters = model.packages.some((p) => Object.values(p.additionalArguments).some((v) => parameterReferences(v).length > 0));
    new ExecutionRole(this, "ExecutionRole", {
      organizationId: org.id,
      centralAccountId: org.centralAccount,
      homeRegion: org.homeRegion,
      storeBucket: model.store.bucketName,
      ...(model.store.encryption === "kms" ? { storeKeyAlias: storeKeyAliasOf(model.store.bucketName) } : {}),
      // The controller's own jobs, granted only when configured.
      packageParameters,
      inventorySync: model.patching !== undefined,
      emergencyPatching: model.patching?.emergency !== undefined,
      ...(model.patching?.autoScaling ? { autoScalingImages: { automationRoleName: model.patching.autoScaling.automationRole } } : {}),
    });
    // Package arguments that reference Parameter Store are resolved on the nodes, with the nodes' credentials.
    if (packageParameters) new PackageParameterPolicy(this, "PackageParameters", { homeRegion: org.homeRegion });
    // Patch management: baselines, windows and inventory per workload Region; nothing of the central account.
    // Cross-account orchestration: the role a central runbook tool assumes; nothing of the central account.
    if (model.orchestration) {
      new OrchestrationMemberRole(this, "Orchestration", { orchestration: model.orchestration, organizationId: org.id, centralAccountId: org.centralAccount, homeRegion: org.homeRegion });
    }
    if (model.patching) new PatchingMember(this, "Patching", { patching: model.patching, regions: org.workloadRegions, homeRegion: org.homeRegion, ...(model.freezes ? { freezes: model.freezes.windows } : {}) });
  }
}
