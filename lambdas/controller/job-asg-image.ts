/**
 * Auto Scaling patched images in one account and Region (kind asg-image), as the member's execution role.
 *
 * start:     DescribeAutoScalingGroups (tag filter `tag:<environmentTag>` = Default and the environments)
 *            -> a group that already succeeded in an earlier attempt at this campaign keeps its step
 *            -> per other group with a launch template at $Default or $Latest: DescribeLaunchTemplateVersions
 *            (image id), DescribeImages (platform) -> StartAutomationExecution of AWS-UpdateLinuxAmi or
 *            AWS-UpdateWindowsAmi -> phase Automation. Groups on a launch configuration, or pinning a
 *            numbered template version, are Skipped with the reason.
 * read back: Automation: GetAutomationExecution; on Success with an output AMI id CreateLaunchTemplateVersion
 *            (SourceVersion = the version the image came from, LaunchTemplateData { ImageId }), ModifyLaunchTemplate
 *            DefaultVersion when the group uses $Default, StartInstanceRefresh (MinHealthyPercentage) -> Refresh.
 *            Refresh: DescribeInstanceRefreshes until Successful (Succeeded) or a final failure (Failed).
 *
 * AWS-side assumptions (re-check them against the pages named when AWS changes them):
 * - AWS-UpdateLinuxAmi / AWS-UpdateWindowsAmi (Systems Manager Automation runbook reference, "AWS-UpdateLinuxAmi",
 *   "AWS-UpdateWindowsAmi"; User Guide "Update a golden AMI"): required parameters SourceAmiId and
 *   IamInstanceProfileName, optional AutomationAssumeRole (and TargetAmiName, InstanceType, SubnetId, ... which we
 *   leave at their defaults: the default VPC/subnet must exist, or the automation fails and the pair says so). They
 *   launch an instance, patch it, create a new AMI and terminate the instance; the new AMI id is the output
 *   `createImage.ImageId` (Linux) / `CreateImage.ImageId` (Windows), read here case-insensitively.
 * - GetAutomationExecution AutomationExecutionStatus: Pending | InProgress | Waiting | Success | TimedOut |
 *   Cancelling | Cancelled | Failed | ... (API reference, AutomationExecution); Success is the only success,
 *   the ones in AUTOMATION_PENDING are in flight, everything else is a failure.
 * - DescribeAutoScalingGroups Filters `tag:<key>` with values (API reference, Filter); we send at most 5 values a
 *   call and merge the pages by group name, so no per-filter value limit can bite.
 * - A group's launch template is `LaunchTemplate` or `MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification`
 *   with Version `$Default`, `$Latest` or a number (Auto Scaling User Guide, "Launch templates").
 * - A launch template holds at most 10,000 versions (EC2 User Guide, "Modify a launch template (manage launch
 *   template versions)": "You can create up to 10,000 versions per launch template"); a full template fails the
 *   group with the EC2 error, and old versions must be deleted by hand.
 * - CreateLaunchTemplateVersion with SourceVersion copies that version and overrides only the given
 *   LaunchTemplateData fields (API reference); ModifyLaunchTemplate DefaultVersion makes it $Default.
 * - StartInstanceRefresh Preferences.MinHealthyPercentage 0-100 (API reference, RefreshPreferences); a refresh
 *   already running: InstanceRefreshInProgress (the group fails, the next run tries again). Without
 *   DesiredConfiguration the group keeps its launch template spec, so $Default / $Latest take the new version.
 * - DescribeInstanceRefreshes Status: Pending | InProgress | Successful | Failed | Cancelling | Cancelled |
 *   RollbackInProgress | RollbackFailed | RollbackSuccessful | Baking (API reference, InstanceRefresh).
 * - The automation role (AutomationAssumeRole) needs what the runbook does (ec2:RunInstances, CreateImage,
 *   iam:PassRole for the instance profile's role, ...): it is the member's own role, named in config.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeInstanceRefreshesCommand, StartInstanceRefreshCommand, type AutoScalingGroup } from "@aws-sdk/client-auto-scaling";
import { CreateLaunchTemplateVersionCommand, DescribeImagesCommand, DescribeLaunchTemplateVersionsCommand, EC2Client, ModifyLaunchTemplateCommand } from "@aws-sdk/client-ec2";
import { GetAutomationExecutionCommand, StartAutomationExecutionCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { UPDATE_LINUX_AMI_DOCUMENT, UPDATE_WINDOWS_AMI_DOCUMENT, type AsgImageRingSpec, type ImageGroupStep } from "../../contract";
import { describeError } from "../shared/clients";
import { withBackoff, type BackoffOptions } from "../shared/retry";
import type { MemberCredentials } from "./pair-credentials";
import { MemberClientCache, memberSsmClient } from "./pair-credentials";

export interface ImageClients {
  readonly ssm: SSMClient;
  readonly ec2: EC2Client;
  readonly autoScaling: AutoScalingClient;
}

const memberEc2Clients = new MemberClientCache((config) => new EC2Client(config));
const memberAutoScalingClients = new MemberClientCache((config) => new AutoScalingClient(config));

/**
 * The member's SSM, EC2 and Auto Scaling clients in `region` (same settings as the SSM client: the shared
 * HTTP handler, cached per account, Region and credentials).
 */
export function memberImageClients(credentials: MemberCredentials, region: string): ImageClients {
  return { ssm: memberSsmClient(credentials, region), ec2: memberEc2Clients.get(credentials, region), autoScaling: memberAutoScalingClients.get(credentials, region) };
}

const AUTOMATION_PENDING: ReadonlySet<string> = new Set(["Pending", "InProgress", "Waiting", "Cancelling", "PendingApproval", "Approved", "Scheduled", "RunbookInProgress"]);
const REFRESH_PENDING: ReadonlySet<string> = new Set(["Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking"]);
const TAG_VALUES_PER_CALL = 5;

type Deps = { backoff?: BackoffOptions };
type Image = AsgImageRingSpec["image"];

/** The group's launch template spec, from LaunchTemplate or a mixed instances policy. */
function launchTemplateOf(group: AutoScalingGroup): { id?: string; name?: string; version: string } | undefined {
  const spec = group.LaunchTemplate ?? group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  if (spec === undefined || (spec.LaunchTemplateId === undefined && spec.LaunchTemplateName === undefined)) return undefined;
  return { ...(spec.LaunchTemplateId ? { id: spec.LaunchTemplateId } : {}), ...(spec.LaunchTemplateName ? { name: spec.LaunchTemplateName } : {}), version: spec.Version ?? "$Default" };
}

/** Groups tagged `<tagKey>` with one of `tagValues`, by name. */
async function findGroups(autoScaling: AutoScalingClient, image: Image, deps: Deps = {}): Promise<AutoScalingGroup[]> {
  const byName = new Map<string, AutoScalingGroup>();
  for (let i = 0; i < image.tagValues.length; i += TAG_VALUES_PER_CALL) {
    const values = image.tagValues.slice(i, i + TAG_VALUES_PER_CALL);
    let token: string | undefined;
    do {
      const next = token;
      const page = await withBackoff(
        () => autoScaling.send(new DescribeAutoScalingGroupsCommand({ Filters: [{ Name: `tag:${image.tagKey}`, Values: [...values] }], MaxRecords: 100, ...(next ? { NextToken: next } : {}) })),
        deps.backoff,
      );
      for (const group of page.AutoScalingGroups ?? []) if (group.AutoScalingGroupName) byName.set(group.AutoScalingGroupName, group);
      token = page.NextToken || undefined;
    } while (token);
  }
  return [...byName.keys()].sort().map((name) => byName.get(name)!);
}

/**
 * Finds the groups and starts one image automation per group that can take one. `done`: groups that
 * already succeeded in an earlier attempt at the same campaign keep that step and start nothing (a
 * retry after one group failed must not patch and refresh the others again); a group no longer found
 * is dropped.
 */
export async function startImageGroups(
  clients: ImageClients,
  image: Image,
  member: { account: string; partition: string },
  deps: Deps = {},
  done: ReadonlyMap<string, ImageGroupStep> = new Map(),
): Promise<ImageGroupStep[]> {
  const steps: ImageGroupStep[] = [];
  for (const group of await findGroups(clients.autoScaling, image, deps)) {
    const name = group.AutoScalingGroupName!;
    const succeeded = done.get(name);
    if (succeeded !== undefined) {
      steps.push(succeeded);
      continue;
    }
    const template = launchTemplateOf(group);
    if (template === undefined) {
      const reason = group.LaunchConfigurationName ? `uses launch configuration ${group.LaunchConfigurationName}, not a launch template` : "uses no launch template";
      steps.push({ group: name, phase: "Skipped", reason });
      continue;
    }
    if (template.version !== "$Default" && template.version !== "$Latest") {
      steps.push({ group: name, phase: "Skipped", reason: `pins launch template version ${template.version}; use $Default or $Latest to take patched images` });
      continue;
    }
    try {
      const described = await withBackoff(
        () =>
          clients.ec2.send(
            new DescribeLaunchTemplateVersionsCommand({ ...(template.id ? { LaunchTemplateId: template.id } : { LaunchTemplateName: template.name! }), Versions: [template.version], ResolveAlias: true }),
          ),
        deps.backoff,
      );
      const version = described.LaunchTemplateVersions?.[0];
      const sourceAmi = version?.LaunchTemplateData?.ImageId;
      if (version === undefined || !sourceAmi || !sourceAmi.startsWith("ami-")) {
        steps.push({ group: name, phase: "Skipped", reason: `launch template ${template.id ?? template.name} ${template.version} names no AMI id` });
        continue;
      }
      const images = await withBackoff(() => clients.ec2.send(new DescribeImagesCommand({ ImageIds: [sourceAmi] })), deps.backoff);
      // Image.Platform is "windows" for Windows AMIs and absent otherwise (API reference, Image).
      const windows = String(images.Images?.[0]?.Platform ?? "").toLowerCase() === "windows";
      const started = await withBackoff(
        () =>
          clients.ssm.send(
            new StartAutomationExecutionCommand({
              DocumentName: windows ? UPDATE_WINDOWS_AMI_DOCUMENT : UPDATE_LINUX_AMI_DOCUMENT,
              Parameters: {
                SourceAmiId: [sourceAmi],
                IamInstanceProfileName: [image.instanceProfileName],
                AutomationAssumeRole: [`arn:${member.partition}:iam::${member.account}:role/${image.automationRoleName}`],
              },
            }),
          ),
        deps.backoff,
      );
      if (!started.AutomationExecutionId) throw new Error("StartAutomationExecution returned no AutomationExecutionId");
      steps.push({
        group: name,
        phase: "Automation",
        launchTemplateId: version.LaunchTemplateId ?? template.id!,
        launchTemplateVersion: template.version,
        sourceVersion: String(version.VersionNumber),
        sourceImageId: sourceAmi,
        automationExecutionId: started.AutomationExecutionId,
      });
    } catch (error) {
      steps.push({ group: name, phase: "Failed", reason: describeError(error) });
    }
  }
  return steps;
}

function outputImageId(outputs: Record<string, string[]> | undefined): string | undefined {
  for (const [key, values] of Object.entries(outputs ?? {})) {
    if (key.toLowerCase() === "createimage.imageid" && values[0]?.startsWith("ami-")) return values[0];
  }
  return undefined;
}

/** Moves one group a step on: Automation -> Refresh -> Succeeded (or Failed). Final phases stay. */
export async function advanceImageGroup(clients: ImageClients, image: Image, step: ImageGroupStep, deps: Deps = {}): Promise<ImageGroupStep> {
  try {
    if (step.phase === "Automation") {
      const got = await withBackoff(() => clients.ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: step.automationExecutionId! })), deps.backoff);
      const status = got.AutomationExecution?.AutomationExecutionStatus ?? "Pending";
      if (AUTOMATION_PENDING.has(status)) return step;
      const patched = outputImageId(got.AutomationExecution?.Outputs);
      if (status !== "Success" || patched === undefined) {
        const why = got.AutomationExecution?.FailureMessage ? `: ${got.AutomationExecution.FailureMessage}` : status === "Success" ? ": no createImage.ImageId output" : "";
        return { ...step, phase: "Failed", reason: `automation ${step.automationExecutionId} ${status}${why}` };
      }
      const created = await withBackoff(
        () =>
          clients.ec2.send(
            new CreateLaunchTemplateVersionCommand({
              LaunchTemplateId: step.launchTemplateId!,
              SourceVersion: step.sourceVersion!,
              VersionDescription: `aft-fleet patched ${patched} from ${step.sourceImageId}`.slice(0, 255),
              LaunchTemplateData: { ImageId: patched },
            }),
          ),
        deps.backoff,
      );
      const newVersion = String(created.LaunchTemplateVersion?.VersionNumber);
      if (step.launchTemplateVersion === "$Default") {
        await withBackoff(() => clients.ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: step.launchTemplateId!, DefaultVersion: newVersion })), deps.backoff);
      }
      const refresh = await withBackoff(
        () => clients.autoScaling.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: step.group, Preferences: { MinHealthyPercentage: image.healthyPercentage } })),
        deps.backoff,
      );
      return { ...step, phase: "Refresh", patchedImageId: patched, newVersion, ...(refresh.InstanceRefreshId ? { instanceRefreshId: refresh.InstanceRefreshId } : {}) };
    }
    if (step.phase === "Refresh") {
      const got = await withBackoff(
        () => clients.autoScaling.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: step.group, InstanceRefreshIds: [step.instanceRefreshId!] })),
        deps.backoff,
      );
      const refresh = got.InstanceRefreshes?.find((r) => r.InstanceRefreshId === step.instanceRefreshId);
      const status = refresh?.Status ?? "NotFound";
      if (REFRESH_PENDING.has(status)) return step;
      if (status === "Successful") return { ...step, phase: "Succeeded" };
      return { ...step, phase: "Failed", reason: `instance refresh ${step.instanceRefreshId} ${status}${refresh?.StatusReason ? `: ${refresh.StatusReason}` : ""}` };
    }
    return step;
  } catch (error) {
    return { ...step, phase: "Failed", reason: describeError(error) };
  }
}

/** The pair's state from its groups: Pending while any is in flight, then Failed if any failed. */
export function imagePairOutcome(steps: readonly ImageGroupStep[]): { status: "Pending" | "Succeeded" | "Failed"; error?: string; note?: string } {
  if (steps.some((s) => s.phase === "Automation" || s.phase === "Refresh")) return { status: "Pending" };
  const failed = steps.filter((s) => s.phase === "Failed");
  const skipped = steps.filter((s) => s.phase === "Skipped");
  const note = skipped.length > 0 ? `skipped: ${skipped.map((s) => `${s.group} (${s.reason})`).join("; ")}` : steps.length === 0 ? "no tagged Auto Scaling group" : undefined;
  if (failed.length > 0) return { status: "Failed", error: `failed: ${failed.map((s) => `${s.group} (${s.reason})`).join("; ")}${note ? `; ${note}` : ""}` };
  return { status: "Succeeded", ...(note ? { note } : {}) };
}
