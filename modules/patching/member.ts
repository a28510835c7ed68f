import { Construct } from "constructs";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SsmAssociation } from "@cdktf/provider-aws/lib/ssm-association";
import { SsmDefaultPatchBaseline } from "@cdktf/provider-aws/lib/ssm-default-patch-baseline";
import { SsmMaintenanceWindow } from "@cdktf/provider-aws/lib/ssm-maintenance-window";
import { SsmMaintenanceWindowTarget } from "@cdktf/provider-aws/lib/ssm-maintenance-window-target";
import { SsmMaintenanceWindowTask } from "@cdktf/provider-aws/lib/ssm-maintenance-window-task";
import { SsmPatchBaseline } from "@cdktf/provider-aws/lib/ssm-patch-baseline";
import { SsmPatchGroup } from "@cdktf/provider-aws/lib/ssm-patch-group";
import type { Patching, PatchBaselineSpec, PatchWindowSpec } from "../config/patching";
import { fleetTags, partitionOf, tfLiteral } from "../core";
import { policyDocument, toJson, trustPolicy } from "../iam/policy";

/** The task service role every member account gets (IAM is global: one role for all Regions). */
export const MAINTENANCE_WINDOW_ROLE_NAME = "aft-fleet-patching-maintenance-window";
/** The patching document every window runs. */
export const RUN_PATCH_BASELINE = "AWS-RunPatchBaseline";
export const INVENTORY_ASSOCIATION_NAME = "aft-fleet-inventory";

export interface PatchingMemberProps {
  readonly patching: Patching;
  /** Regions whose nodes are patched; each gets its own baselines, windows and inventory association. */
  readonly regions: readonly string[];
  /** Home Region: the ARN partition. */
  readonly homeRegion: string;
}

/**
 * Patch management in one account (global customization), in every workload Region (SPEC §6.F):
 * baselines and patch groups, one maintenance window per environment plus the default window, each
 * running AWS-RunPatchBaseline on the nodes whose environment tag selects it, and the inventory
 * association. It references nothing of the central account, so AFT may apply it before the central
 * account's stage ever ran; the resource data sync to the central bucket is created later, by the
 * controller, once that bucket exists.
 *
 * Which nodes a window patches: a maintenance window target can only *select* by tag values; it cannot
 * say "tag missing" or "tag not equal". So nodes opt in through the environment tag:
 * `<environmentTag>=<env>` -> that environment's window, `<environmentTag>=Default` -> the default window,
 * `<environmentTag>=<optOutValue>` (or no tag) -> no window. Auto Scaling, EKS and ECS nodes are patched
 * only if their launch template propagates an environment tag; keep it off them (they are replaced from
 * patched images instead). Untagged nodes are tagged `Default` by the controller's tagging pass, which
 * skips opt-out, Auto Scaling, EKS and ECS nodes.
 */
export class PatchingMember extends Construct {
  readonly roleName = MAINTENANCE_WINDOW_ROLE_NAME;
  readonly role: IamRole;
  /** Per Region, the window resources by environment name. */
  readonly windows: Readonly<Record<string, Readonly<Record<string, SsmMaintenanceWindow>>>>;

  constructor(scope: Construct, id: string, props: PatchingMemberProps) {
    super(scope, id);
    const partition = partitionOf(props.homeRegion);
    const account = new DataAwsCallerIdentity(this, "Account").accountId;
    const { patching } = props;

    // A custom role rather than the service-linked AWSServiceRoleForAmazonSSM: the service-linked role
    // must already exist in the account (it is made on first use, not by this tree) and may do far more
    // than send one document to this account's nodes.
    this.role = new IamRole(this, "MaintenanceWindowRole", {
      name: MAINTENANCE_WINDOW_ROLE_NAME,
      description: "aft-fleet: maintenance windows run AWS-RunPatchBaseline on this account's nodes with this role",
      maxSessionDuration: 3600,
      assumeRolePolicy: toJson(
        trustPolicy({
          Sid: "MaintenanceWindows",
          Effect: "Allow",
          Principal: { Service: "ssm.amazonaws.com" },
          Action: "sts:AssumeRole",
          // Confused-deputy guard: only Systems Manager acting for this account.
          Condition: {
            StringEquals: { "aws:SourceAccount": account },
            ArnLike: { "aws:SourceArn": `arn:${partition}:ssm:*:${account}:*` },
          },
        }),
      ),
      tags: fleetTags({ "aft-fleet:role": "patching-maintenance-window" }),
    });
    new IamRolePolicy(this, "MaintenanceWindowPolicy", {
      name: MAINTENANCE_WINDOW_ROLE_NAME,
      role: this.role.id,
      policy: toJson(
        policyDocument(
          {
            Sid: "RunPatchBaselineOnThisAccountsNodes",
            Effect: "Allow",
            Action: "ssm:SendCommand",
            Resource: [
              ...props.regions.map((r) => `arn:${partition}:ssm:${r}::document/${RUN_PATCH_BASELINE}`),
              ...props.regions.map((r) => `arn:${partition}:ec2:${r}:${account}:instance/*`),
              ...props.regions.map((r) => `arn:${partition}:ssm:${r}:${account}:managed-instance/*`),
            ],
          },
          {
            // Following and cancelling the commands it sent; these calls take no resource-level permissions.
            Sid: "FollowCommands",
            Effect: "Allow",
            Action: ["ssm:CancelCommand", "ssm:GetCommandInvocation", "ssm:ListCommandInvocations", "ssm:ListCommands"],
            Resource: "*",
          },
        ),
      ),
    });

    const windows: Record<string, Record<string, SsmMaintenanceWindow>> = {};
    for (const region of props.regions) {
      const scopeR = new Construct(this, region);
      const baselineScope = new Construct(scopeR, "Baseline");
      for (const spec of patching.baselines) this.baseline(baselineScope, region, spec);
      const windowScope = new Construct(scopeR, "Window");
      windows[region] = Object.fromEntries(patching.windows.map((w) => [w.environment, this.window(windowScope, region, w, patching.environmentTag)]));
      if (patching.inventory.enabled) {
        // A node runs only one inventory association; this one covers every node of the Region.
        new SsmAssociation(scopeR, "Inventory", {
          region,
          name: "AWS-GatherSoftwareInventory",
          associationName: INVENTORY_ASSOCIATION_NAME,
          scheduleExpression: tfLiteral(patching.inventory.schedule),
          targets: [{ key: "InstanceIds", values: ["*"] }],
          complianceSeverity: "UNSPECIFIED",
          tags: fleetTags({ "aft-fleet:role": "patching-inventory" }),
        });
      }
    }
    this.windows = windows;
  }

  private baseline(scope: Construct, region: string, spec: PatchBaselineSpec): void {
    const inner = new Construct(scope, spec.key);
    const linux = spec.operatingSystem !== "WINDOWS" && spec.operatingSystem !== "MACOS";
    const baseline = new SsmPatchBaseline(inner, "Baseline", {
      region,
      name: spec.name,
      description: tfLiteral(spec.description),
      operatingSystem: spec.operatingSystem,
      approvalRule: spec.approvalRules.map((rule) => ({
        approveAfterDays: rule.approveAfterDays,
        complianceLevel: rule.complianceLevel,
        ...(linux && rule.enableNonSecurity !== undefined ? { enableNonSecurity: rule.enableNonSecurity } : {}),
        patchFilter: rule.patchFilters.map((f) => ({ key: f.key, values: f.values.map(tfLiteral) })),
      })),
      ...(spec.approvedPatches.length > 0
        ? { approvedPatches: spec.approvedPatches.map(tfLiteral), approvedPatchesComplianceLevel: spec.approvedPatchesComplianceLevel }
        : {}),
      ...(spec.rejectedPatches.length > 0 ? { rejectedPatches: spec.rejectedPatches.map(tfLiteral), rejectedPatchesAction: spec.rejectedPatchesAction } : {}),
      tags: fleetTags({ "aft-fleet:role": "patch-baseline" }),
    });
    if (spec.isDefault) {
      new SsmDefaultPatchBaseline(inner, "Default", { region, baselineId: baseline.id, operatingSystem: spec.operatingSystem });
    }
    for (const group of spec.patchGroups) {
      new SsmPatchGroup(inner, `PatchGroup-${group}`, { region, baselineId: baseline.id, patchGroup: tfLiteral(group) });
    }
  }

  private window(scope: Construct, region: string, spec: PatchWindowSpec, environmentTag: string): SsmMaintenanceWindow {
    const env = spec.environment;
    const window = new SsmMaintenanceWindow(scope, env, {
      region,
      name: spec.name,
      description: tfLiteral(`aft-fleet: patches nodes tagged ${environmentTag}=${env} (${spec.operation}, ${spec.rebootOption})`),
      schedule: tfLiteral(spec.schedule),
      scheduleTimezone: "UTC",
      ...(spec.startDate ? { startDate: spec.startDate } : {}),
      duration: spec.durationHours,
      cutoff: spec.cutoffHours,
      // Only registered targets: a task can never reach a node no target selected.
      allowUnassociatedTargets: false,
      tags: fleetTags({ "aft-fleet:role": "patching-window", "aft-fleet:environment": env }),
    });
    const target = new SsmMaintenanceWindowTarget(scope, `${env}Target`, {
      region,
      windowId: window.id,
      name: `aft-fleet-${env}-nodes`,
      description: tfLiteral(`Nodes tagged ${environmentTag}=${env}`),
      resourceType: "INSTANCE",
      targets: [{ key: tfLiteral(`tag:${environmentTag}`), values: [tfLiteral(env)] }],
    });
    new SsmMaintenanceWindowTask(scope, `${env}Task`, {
      region,
      windowId: window.id,
      name: "aft-fleet-run-patch-baseline",
      description: tfLiteral(`AWS-RunPatchBaseline ${spec.operation} on ${environmentTag}=${env}`),
      taskType: "RUN_COMMAND",
      taskArn: RUN_PATCH_BASELINE,
      priority: 1,
      serviceRoleArn: this.role.arn,
      maxConcurrency: spec.maxConcurrency,
      maxErrors: spec.maxErrors,
      // The cutoff stops new invocations; a node already patching finishes rather than stopping mid-install.
      cutoffBehavior: "CONTINUE_TASK",
      targets: [{ key: "WindowTargetIds", values: [target.id] }],
      taskInvocationParameters: {
        runCommandParameters: {
          comment: tfLiteral(`aft-fleet patching ${env}`),
          documentVersion: "$DEFAULT",
          timeoutSeconds: 600,
          parameter: [
            { name: "Operation", values: [spec.operation] },
            { name: "RebootOption", values: [spec.rebootOption] },
          ],
        },
      },
    });
    return window;
  }
}
