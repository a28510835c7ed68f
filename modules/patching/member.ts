import * as fs from "node:fs";
import * as path from "node:path";
import { Construct } from "constructs";
import { stringify } from "yaml";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SsmAssociation } from "@cdktf/provider-aws/lib/ssm-association";
import { SsmDocument } from "@cdktf/provider-aws/lib/ssm-document";
import { SsmDefaultPatchBaseline } from "@cdktf/provider-aws/lib/ssm-default-patch-baseline";
import { SsmMaintenanceWindow } from "@cdktf/provider-aws/lib/ssm-maintenance-window";
import { SsmMaintenanceWindowTarget } from "@cdktf/provider-aws/lib/ssm-maintenance-window-target";
import { SsmMaintenanceWindowTask } from "@cdktf/provider-aws/lib/ssm-maintenance-window-task";
import { SsmPatchBaseline } from "@cdktf/provider-aws/lib/ssm-patch-baseline";
import { SsmPatchGroup } from "@cdktf/provider-aws/lib/ssm-patch-group";
import { WINDOW_DESCRIPTION_MAX, type Patching, type PatchBaselineSpec, type PatchWindowRun, type PatchWindowSpec } from "../config/patching";
import { fleetTags, partitionOf, tfLiteral } from "../core";
import { policyDocument, toJson, trustPolicy } from "../iam/policy";
import type { FreezeWindow } from "../../contract/freezes";
import { FREEZE_CALENDAR_NAME, PATCH_UNLESS_FROZEN_RUNBOOK, freezeCalendarContent, freezeTaskStatements, patchUnlessFrozenRunbook } from "./freezes";

/** The task service role every member account gets (IAM is global: one role for all Regions). */
export const MAINTENANCE_WINDOW_ROLE_NAME = "aft-fleet-patching-maintenance-window";
/** The patching document every window runs. */
const RUN_PATCH_BASELINE = "AWS-RunPatchBaseline";
const INVENTORY_ASSOCIATION_NAME = "aft-fleet-inventory";
/** The runbook, its association and its role that tag untagged EC2 instances `<environmentTag>=Default`. */
const TAGGER_DOCUMENT_NAME = "aft-fleet-TagUntaggedNodes";
const TAGGER_ASSOCIATION_NAME = "aft-fleet-tag-untagged-nodes";
export const TAGGER_ROLE_NAME = "aft-fleet-patching-tagger";
/** aws:executeScript runtimes 3.6-3.8 can no longer be created (since 2024-12-04) nor run (since 2025-02-18). */
const TAGGER_RUNTIME = "python3.11";
const TAGGER_SCRIPT = path.join(__dirname, "scripts", "tag_untagged_nodes.py");

/**
 * The tagging runbook (schema 0.3). YAML, not JSON: aws:executeScript takes an inline `Script` only in
 * YAML runbooks (Automation action reference, aws:executeScript, Script). The tag key and value arrive
 * as parameters, so config text never becomes script text.
 */
export function taggerRunbook(): string {
  return stringify(
    {
      description: "aft-fleet: tags EC2 instances that have no environment tag with TagKey=TagValue, so the default maintenance window patches them. Instances of Auto Scaling groups, EKS and ECS are left alone.",
      schemaVersion: "0.3",
      assumeRole: "{{ AutomationAssumeRole }}",
      parameters: {
        AutomationAssumeRole: { type: "String", description: "The role that may describe instances and add only this tag to instances without it." },
        TagKey: { type: "String", description: "The environment tag key (patching.environmentTag, checked by aft-fleet's config)." },
        TagValue: { type: "String", description: "The value for untagged instances.", default: "Default" },
      },
      mainSteps: [
        {
          name: "TagUntaggedInstances",
          action: "aws:executeScript",
          timeoutSeconds: 600,
          // A first run right after the apply can meet a role IAM has not propagated yet: the step retries
          // (maxAttempts, Automation action reference, common properties) before the execution fails.
          maxAttempts: 3,
          isEnd: true,
          inputs: {
            Runtime: TAGGER_RUNTIME,
            Handler: "handler",
            InputPayload: { TagKey: "{{ TagKey }}", TagValue: "{{ TagValue }}" },
            Script: fs.readFileSync(TAGGER_SCRIPT, "utf8"),
          },
          outputs: [
            { Name: "TaggedCount", Selector: "$.Payload.taggedCount", Type: "Integer" },
            { Name: "Tagged", Selector: "$.Payload.tagged", Type: "StringList" },
            { Name: "LeftManagedCount", Selector: "$.Payload.leftManagedCount", Type: "Integer" },
            { Name: "LeftManaged", Selector: "$.Payload.leftManaged", Type: "StringList" },
          ],
        },
      ],
      outputs: ["TagUntaggedInstances.TaggedCount", "TagUntaggedInstances.Tagged", "TagUntaggedInstances.LeftManagedCount", "TagUntaggedInstances.LeftManaged"],
    },
    { lineWidth: 0 },
  );
}

/** Most characters of a Run Command comment (MaintenanceWindowRunCommandParameters / SendCommand API reference: Comment, maximum 100). */
const RUN_COMMAND_COMMENT_MAX = 100;

/** UTF-16 length, which is never below the code point count the API may count. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = "";
  for (const ch of text) {
    if (out.length + ch.length > max - 3) break;
    out += ch;
  }
  return `${out}...`;
}

/**
 * `<before><tag key><after>` within `max` characters: only the tag key (up to 128 characters) is shortened,
 * to its first characters and "...", so the environment name and the rest stay whole. Deterministic.
 */
function describeWithTag(before: string, tagKey: string, after: string, max = WINDOW_DESCRIPTION_MAX): string {
  const room = max - before.length - after.length;
  return clip(room >= 4 ? `${before}${clip(tagKey, room)}${after}` : `${before}${after}`, max);
}

export interface PatchingMemberProps {
  readonly patching: Patching;
  /** Regions whose nodes are patched; each gets its own baselines, windows and inventory association. */
  readonly regions: readonly string[];
  /** Home Region: the ARN partition. */
  readonly homeRegion: string;
  /**
   * Change freezes (config `freezes`). With any, every Region gets the freeze Change Calendar and each window
   * task runs the PatchUnlessFrozen runbook per node (Install only while the calendar is OPEN, else Scan).
   */
  readonly freezes?: readonly FreezeWindow[];
}

/**
 * Patch management in one account (global customization), in every workload Region:
 * baselines and patch groups, the maintenance windows of each environment (and of Default, only when
 * `patching.defaultWindow` is configured), each running AWS-RunPatchBaseline on the nodes whose
 * environment tag selects it, and the inventory association (unless the nodes have one already). It references nothing of the central account, so AFT may apply it before the central
 * account's stage ever ran; the resource data sync to the central bucket is created later, by the
 * controller, once that bucket exists.
 *
 * Which nodes a window patches: a maintenance window target can only *select* by tag values; it cannot
 * say "tag missing" or "tag not equal". So nodes opt in through the environment tag:
 * `<environmentTag>=<env>` -> that environment's window, `<environmentTag>=Default` -> the default window,
 * `<environmentTag>=<optOutValue>` (or no tag) -> no window. Auto Scaling, EKS and ECS nodes are patched
 * only if their launch template propagates an environment tag; keep it off them (they are replaced from
 * patched images instead). Only when `patching.tagUntagged.enabled` (which needs the default window) are
 * untagged EC2 instances tagged `Default` by the tagging runbook's daily association, which skips Auto
 * Scaling, EKS and ECS instances; otherwise nothing here tags, reboots or patches a node that no one tagged.
 */
export class PatchingMember extends Construct {
  readonly roleName = MAINTENANCE_WINDOW_ROLE_NAME;
  readonly role: IamRole;
  /** Per Region, the window resources by environment name (several when the environment runs in several weeks of the month). */
  readonly windows: Readonly<Record<string, Readonly<Record<string, readonly SsmMaintenanceWindow[]>>>>;

  constructor(scope: Construct, id: string, props: PatchingMemberProps) {
    super(scope, id);
    const partition = partitionOf(props.homeRegion);
    const account = new DataAwsCallerIdentity(this, "Account").accountId;
    const { patching } = props;
    const freezes = props.freezes ?? [];

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
          ...(freezes.length > 0 ? freezeTaskStatements(partition, account, props.regions, `arn:${partition}:iam::${account}:role/${MAINTENANCE_WINDOW_ROLE_NAME}`) : []),
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

    const tagger = patching.tagUntagged.enabled ? this.taggerRole(partition, account, props.regions, patching.environmentTag) : undefined;
    const runbook = tagger ? taggerRunbook() : "";
    const freezeCalendar = freezes.length > 0 ? freezeCalendarContent(freezes) : "";

    const windows: Record<string, Record<string, SsmMaintenanceWindow[]>> = {};
    for (const region of props.regions) {
      const scopeR = new Construct(this, region);
      const baselineScope = new Construct(scopeR, "Baseline");
      for (const spec of patching.baselines) this.baseline(baselineScope, region, spec);
      const windowScope = new Construct(scopeR, "Window");
      const unlessFrozen = freezes.length > 0 ? this.freezeDocuments(scopeR, region, freezeCalendar) : undefined;
      windows[region] = Object.fromEntries(patching.windows.map((w) => [w.environment, w.runs.map((run) => this.window(windowScope, region, w, run, patching.environmentTag, unlessFrozen))]));
      if (patching.inventory.association === "aft-fleet") {
        // A node takes only one inventory association: with two, neither runs and no inventory is collected
        // (User Guide, "Configuring inventory collection"). This one covers every node of the Region; with
        // patching.inventory.existing the nodes keep the one they have.
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
      if (tagger) {
        const document = new SsmDocument(scopeR, "TaggerRunbook", {
          region,
          name: TAGGER_DOCUMENT_NAME,
          documentType: "Automation",
          documentFormat: "YAML",
          content: tfLiteral(runbook),
          tags: fleetTags({ "aft-fleet:role": "patching-tagger" }),
        });
        // No targets: an Automation association without targets runs the runbook once per schedule in
        // this account and Region.
        new SsmAssociation(scopeR, "Tagger", {
          region,
          name: document.name,
          associationName: TAGGER_ASSOCIATION_NAME,
          scheduleExpression: tfLiteral(patching.tagUntagged.schedule),
          parameters: { AutomationAssumeRole: tagger.arn, TagKey: tfLiteral(patching.environmentTag), TagValue: "Default" },
          complianceSeverity: "UNSPECIFIED",
          tags: fleetTags({ "aft-fleet:role": "patching-tagger" }),
        });
      }
    }
    this.windows = windows;
  }

  /**
   * The tagging runbook's role: list instances (DescribeInstances has no resource-level permissions) and
   * add exactly `<environmentTag>=Default` to this account's instances that have no `<environmentTag>`
   * (aws:RequestTag, aws:TagKeys and the Null test on aws:ResourceTag: EC2 User Guide, "Grant permission
   * to tag Amazon EC2 resources during creation" / "Control access to EC2 resources using resource tags").
   */
  private taggerRole(partition: string, account: string, regions: readonly string[], environmentTag: string): IamRole {
    const role = new IamRole(this, "TaggerRole", {
      name: TAGGER_ROLE_NAME,
      description: "aft-fleet: the tagging runbook adds environment=Default to this account's instances that have no environment tag",
      maxSessionDuration: 3600,
      assumeRolePolicy: toJson(
        trustPolicy({
          Sid: "AutomationOfThisAccount",
          Effect: "Allow",
          Principal: { Service: "ssm.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: {
            StringEquals: { "aws:SourceAccount": account },
            ArnLike: { "aws:SourceArn": `arn:${partition}:ssm:*:${account}:automation-execution/*` },
          },
        }),
      ),
      tags: fleetTags({ "aft-fleet:role": "patching-tagger" }),
    });
    const key = tfLiteral(environmentTag);
    new IamRolePolicy(this, "TaggerPolicy", {
      name: TAGGER_ROLE_NAME,
      role: role.id,
      policy: toJson(
        policyDocument(
          { Sid: "FindInstances", Effect: "Allow", Action: "ec2:DescribeInstances", Resource: "*" },
          {
            Sid: "TagOnlyUntaggedInstancesDefault",
            Effect: "Allow",
            Action: "ec2:CreateTags",
            Resource: regions.map((r) => `arn:${partition}:ec2:${r}:${account}:instance/*`),
            Condition: {
              StringEquals: { [`aws:RequestTag/${key}`]: "Default" },
              "ForAllValues:StringEquals": { "aws:TagKeys": [key] },
              Null: { [`aws:ResourceTag/${key}`]: "true" },
            },
          },
        ),
      ),
    });
    return role;
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

  /** The freeze Change Calendar and the runbook that consults it (returned), in one Region. */
  private freezeDocuments(scope: Construct, region: string, calendar: string): SsmDocument {
    new SsmDocument(scope, "FreezeCalendar", {
      region,
      name: FREEZE_CALENDAR_NAME,
      documentType: "ChangeCalendar",
      documentFormat: "TEXT",
      content: tfLiteral(calendar),
      tags: fleetTags({ "aft-fleet:role": "change-freezes" }),
    });
    return new SsmDocument(scope, "PatchUnlessFrozenRunbook", {
      region,
      name: PATCH_UNLESS_FROZEN_RUNBOOK,
      documentType: "Automation",
      documentFormat: "YAML",
      content: tfLiteral(patchUnlessFrozenRunbook()),
      tags: fleetTags({ "aft-fleet:role": "change-freezes" }),
    });
  }

  private window(scope: Construct, region: string, spec: PatchWindowSpec, run: PatchWindowRun, environmentTag: string, unlessFrozen?: SsmDocument): SsmMaintenanceWindow {
    const env = spec.environment;
    const id = run.key ? `${env}-${run.key}` : env;
    const window = new SsmMaintenanceWindow(scope, id, {
      region,
      name: run.name,
      // Descriptions hold at most 128 characters (WINDOW_DESCRIPTION_MAX); environment names at most 64.
      // At most 11 + 64 + 2 + 18 + 2 + 7 + 2 + 14 = 120 characters; clip only guards the limit.
      description: tfLiteral(clip(`aft-fleet: ${env}${run.when ? `, ${run.when}` : ""}, ${spec.operation}, ${spec.rebootOption}`, WINDOW_DESCRIPTION_MAX)),
      schedule: tfLiteral(run.schedule),
      scheduleTimezone: "UTC",
      duration: spec.durationHours,
      cutoff: spec.cutoffHours,
      // Only registered targets: a task can never reach a node no target selected.
      allowUnassociatedTargets: false,
      tags: fleetTags({ "aft-fleet:role": "patching-window", "aft-fleet:environment": env }),
    });
    const target = new SsmMaintenanceWindowTarget(scope, `${id}Target`, {
      region,
      windowId: window.id,
      name: `aft-fleet-${env}-nodes`,
      description: tfLiteral(describeWithTag("Nodes tagged ", environmentTag, `=${env}`)),
      resourceType: "INSTANCE",
      targets: [{ key: tfLiteral(`tag:${environmentTag}`), values: [tfLiteral(env)] }],
    });
    new SsmMaintenanceWindowTask(scope, `${id}Task`, {
      region,
      windowId: window.id,
      name: "aft-fleet-run-patch-baseline",
      description: tfLiteral(describeWithTag(`AWS-RunPatchBaseline ${spec.operation} on `, environmentTag, `=${env}`)),
      ...(unlessFrozen ? { taskType: "AUTOMATION", taskArn: unlessFrozen.name } : { taskType: "RUN_COMMAND", taskArn: RUN_PATCH_BASELINE }),
      priority: 1,
      serviceRoleArn: this.role.arn,
      maxConcurrency: spec.maxConcurrency,
      maxErrors: spec.maxErrors,
      // The cutoff stops new invocations; a node already patching finishes rather than stopping mid-install.
      cutoffBehavior: "CONTINUE_TASK",
      targets: [{ key: "WindowTargetIds", values: [target.id] }],
      taskInvocationParameters: unlessFrozen
        ? {
            // One runbook execution per node: {{TARGET_ID}} is the instance (User Guide, "About pseudo parameters").
            automationParameters: {
              documentVersion: "$DEFAULT",
              parameter: [
                { name: "AutomationAssumeRole", values: [this.role.arn] },
                { name: "InstanceId", values: ["{{TARGET_ID}}"] },
                { name: "Operation", values: [spec.operation] },
                { name: "RebootOption", values: [spec.rebootOption] },
              ],
            },
          }
        : {
            runCommandParameters: {
              comment: tfLiteral(clip(`aft-fleet patching ${env}`, RUN_COMMAND_COMMENT_MAX)),
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
