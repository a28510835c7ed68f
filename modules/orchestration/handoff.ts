import type { Orchestration } from "../config/orchestration";
import { partitionOf } from "../core";
import { FILE_COPIER_KEY_ALIAS, ORCHESTRATION_ROLE_NAME, documentArn, orchestrationRoleArn } from "./names";

/** The handoff file's name, next to the AFT trees in the output folder. */
export const ORCHESTRATION_HANDOFF_FILE = "orchestration.json";
/** Placeholder for a member account id in the ARN patterns. */
const ACCOUNT_PLACEHOLDER = "<account>";

export interface OrchestrationHandoffInput {
  readonly orchestration: Orchestration;
  readonly organizationId: string;
  readonly centralAccountId: string;
  readonly homeRegion: string;
}

/**
 * What the central runbook tool needs, as the text of `orchestration.json` (pretty JSON, stable order,
 * trailing newline): the role to assume per account, the ExternalId rule, the file copier and command
 * output settings, what to configure (with `targets`: the accounts, the OU ids whose accounts the tool
 * resolves, and the Regions), and Rundeck EC2 node sources (`aws-ec2`): one per listed account and Region,
 * and one per Region with the account placeholder for OU members (all of them without `targets`).
 * Pure: the same model gives the same bytes.
 */
export function orchestrationHandoff(input: OrchestrationHandoffInput): string {
  const o = input.orchestration;
  const partition = partitionOf(input.homeRegion);
  const rolePattern = orchestrationRoleArn(partition, ACCOUNT_PLACEHOLDER);
  const filter = o.nodeTag ? `tag:${o.nodeTag.key}=${o.nodeTag.value}` : "";
  const mapping = (roleArn: string) =>
    [
      "ssm-assume-role.default=true",
      `ssm-assume-role-arn.default=${roleArn}`,
      "node-executor.default=awsssmexecutor",
      ...(o.fileCopierBucket !== undefined ? ["file-copier.default=aws-ssm-copier", `ssm-copier-bucket.default=${o.fileCopierBucket}`] : []),
      ...(o.logGroupName !== undefined ? [`cloudwatch-log-group.default=${o.logGroupName}`] : []),
    ].join(";");
  const source = (region: string, roleArn: string) => ({
    type: "aws-ec2",
    config: { endpoint: region, assumeRoleArn: roleArn, ...(filter ? { filter } : {}), runningOnly: "true", mappingParams: mapping(roleArn) },
  });
  const t = o.targets;
  // Listed accounts get concrete sources; OU members (and every account without targets) the placeholder.
  const concrete = t ? t.accounts.flatMap((account) => o.regions.map((region) => ({ account, ...source(region, orchestrationRoleArn(partition, account)) }))) : [];
  const templated = !t || t.organizationalUnits.length > 0 ? o.regions.map((region) => ({ account: ACCOUNT_PLACEHOLDER, ...source(region, rolePattern) })) : [];

  const doc = {
    about:
      "aft-fleet cross-account orchestration: what a central runbook tool (Rundeck / PagerDuty Process Automation) needs to run commands on the organization's nodes. Generated; do not edit.",
    organizationId: input.organizationId,
    role: {
      name: ORCHESTRATION_ROLE_NAME,
      arnPattern: rolePattern,
      note: `Exists in every account once AFT's global customization ran there. Replace ${ACCOUNT_PLACEHOLDER} with the 12-digit account id.`,
      trustedPrincipals: [...o.principals],
      externalId:
        o.externalId !== undefined
          ? { required: true, note: "AssumeRole must pass this ExternalId (sts:ExternalId); set it in the tool's assume-role settings. Keep it out of public repositories." }
          : { required: false, note: "No ExternalId: the role trusts the principals above, inside the organization only." },
    },
    regions: [...o.regions],
    targets: t
      ? {
          groups: [...t.groups],
          accounts: t.accounts.map((account) => ({ account, roleArn: orchestrationRoleArn(partition, account) })),
          organizationalUnits: [...t.organizationalUnits],
          regions: [...o.regions],
          note: "Configure every account above and every account of the OUs above (the tool resolves them: aws organizations list-accounts-for-parent --parent-id <ou>, and list-organizational-units-for-parent for nested OUs), in each Region. From orchestration.targets.",
        }
      : {
          groups: [],
          accounts: [],
          organizationalUnits: [],
          regions: [...o.regions],
          note: `No orchestration.targets: the role exists in every account AFT customizes; the tool must list the accounts itself and replace ${ACCOUNT_PLACEHOLDER}.`,
        },
    documents: o.documents.map((d) => (d.kind === "arn" ? d.arn : d.name)),
    documentArnPatterns: o.regions.flatMap((r) => o.documents.map((d) => documentArn(partition, r, ACCOUNT_PLACEHOLDER, d))),
    nodeTag: o.nodeTag ? { key: o.nodeTag.key, value: o.nodeTag.value, note: "Commands reach only nodes with this tag; the role cannot send to others." } : null,
    fileCopier:
      o.fileCopierBucket !== undefined
        ? {
            bucket: o.fileCopierBucket,
            region: input.homeRegion,
            account: input.centralAccountId,
            keyAlias: FILE_COPIER_KEY_ALIAS,
            note: "Only the trusted principals may upload (s3:PutObject); their own IAM policy must also allow s3:PutObject on the bucket and kms:GenerateDataKey on its key.",
          }
        : null,
    commandOutput:
      o.logGroupName !== undefined
        ? {
            logGroupName: o.logGroupName,
            encryption: o.logEncryption ?? "aws-managed",
            note: "One log group of this name in every account and Region (Run Command writes to the node's own account); the role reads it there.",
          }
        : null,
    centralPrincipalPolicy: {
      note: "Attach to each trusted principal (the tool's role): it may assume the orchestration role in every account of the organization.",
      statement: { Effect: "Allow", Action: "sts:AssumeRole", Resource: orchestrationRoleArn(partition, "*"), Condition: { StringEquals: { "aws:ResourceOrgID": input.organizationId } } },
    },
    rundeckNodeSources: {
      note: `Rundeck EC2 node source (plugin aws-ec2), one per account and Region: the listed accounts' are complete; in those with account ${ACCOUNT_PLACEHOLDER}, replace it with each OU member's id. mappingParams makes the SSM node executor assume the same role.`,
      sources: [...concrete, ...templated],
    },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
