import { z } from "zod";
import { partitionOf } from "../../contract/partition";
import type { ConfigIssue } from "./errors";
import { showValue } from "./errors";
import { AWS_REGIONS } from "./regions";
import { bucketNameProblem } from "./rules/bucket-names";
import { ownRoleProblem } from "./rules/collisions";
import { bucketNameField, iamNameField, tagKeyField } from "./fields";
import { EXTERNAL_ID_LENGTH, LOG_GROUP_NAME_LENGTH, LOG_GROUP_RESERVED_PREFIX, TAG_VALUE_LENGTH } from "../../contract/aws-rules";
import { AWS_OWNED_DOCUMENT, EXTERNAL_ID, LOG_GROUP_NAME, ROLE_NAME, SSM_DOCUMENT_NAME as DOCUMENT_NAME, TAG_VALUE } from "../../contract/patterns";
import type { TargetGroup } from "./model";
import { TRUST_POLICY_MAX_CHARS, orchestrationTrustPolicy, trustPolicyLength } from "../orchestration/trust";

/*
 * The optional `orchestration` section: a central runbook tool (Rundeck / PagerDuty
 * Process Automation) runs Systems Manager commands on the nodes of every member account through a role
 * in each account. `OrchestrationSchema` validates one field at a time; `resolveOrchestration` checks what
 * needs more than one field (or the organization) and returns the resolved `Orchestration` model.
 */

/** The documents the central tool may run when the config names none (the SSM node executor uses them). */
const DEFAULT_ORCHESTRATION_DOCUMENTS = ["AWS-RunShellScript", "AWS-RunPowerShellScript"] as const;
/**
 * AWS documents that run code they download when they run (from GitHub, S3 or a URL): the command's
 * parameters name only the source, so listing them lets the tool run anything. Kept when listed, with a
 * warning in the model. Parameters per the documents' descriptions in the Systems Manager documents list:
 * AWS-RunRemoteScript (sourceType GitHub | S3), AWS-RunDocument (sourceType GitHub | S3 | SSMDocument),
 * AWS-ApplyAnsiblePlaybooks (SourceType GitHub | S3).
 */
const REMOTE_CODE_DOCUMENTS = ["AWS-RunRemoteScript", "AWS-RunDocument", "AWS-ApplyAnsiblePlaybooks"] as const;
/** At most this many principals may assume the member role; the trust policy's length is checked besides. */
const MAX_ORCHESTRATION_PRINCIPALS = 10;
/** How the command output log groups are encrypted: CloudWatch Logs' own keys, or one customer key per account and Region. */
export const LOG_ENCRYPTIONS = ["aws-managed", "kms"] as const;
export type LogEncryption = (typeof LOG_ENCRYPTIONS)[number];

/** The body of an anchored pattern (`^...$` -> `...`), to compose it into a larger one. */
const body = (pattern: RegExp): string => pattern.source.replace(/^\^/, "").replace(/\$$/, "");
/** An IAM role ARN, optionally with a path (iam pathType: up to 512); group 2 is the account, the name is ROLE_NAME. */
const ROLE_ARN = new RegExp(`^arn:(aws|aws-cn|aws-us-gov):iam::(\\d{12}):role\\/(?:[\\u0021-\\u007e]{0,510}\\/)?${body(ROLE_NAME)}$`);
/** A document ARN: AWS-owned documents have no account (`arn:aws:ssm:us-east-1::document/AWS-RunShellScript`); the name is SSM_DOCUMENT_NAME. */
const DOCUMENT_ARN = new RegExp(`^arn:(aws|aws-cn|aws-us-gov):ssm:([a-z0-9-]+):(\\d{12})?:document\\/(${body(DOCUMENT_NAME)})$`);

const ROLE_ARN_TEXT = "an IAM role ARN such as arn:aws:iam::123456789012:role/rundeck";
const EXTERNAL_ID_TEXT = `an STS ExternalId: ${EXTERNAL_ID_LENGTH.min}-${EXTERNAL_ID_LENGTH.max} letters, digits or '_+=,.@:/-'`;
const TAG_VALUE_TEXT = `a tag value of ${TAG_VALUE_LENGTH.min}-${TAG_VALUE_LENGTH.max} letters, digits, spaces or '_.:/=+-@'`;
const LOG_GROUP_TEXT = `a log group name: ${LOG_GROUP_NAME_LENGTH.min}-${LOG_GROUP_NAME_LENGTH.max} letters, digits or '_-./#', not starting with ${LOG_GROUP_RESERVED_PREFIX} (CloudWatch Logs reserves it)`;

export const OrchestrationSchema = z
  .strictObject({
    principals: z
      .array(z.string({ error: ROLE_ARN_TEXT }).min(1, { error: ROLE_ARN_TEXT }), { error: `a list of 1-${MAX_ORCHESTRATION_PRINCIPALS} IAM role ARNs` })
      .min(1, { error: `a list of 1-${MAX_ORCHESTRATION_PRINCIPALS} IAM role ARNs` })
      .max(MAX_ORCHESTRATION_PRINCIPALS, { error: `at most ${MAX_ORCHESTRATION_PRINCIPALS} IAM role ARNs` })
      .describe("The central tool's IAM roles (central or tooling account of this organization) that may assume aft-fleet-orchestration in every account."),
    externalId: z
      .string({ error: EXTERNAL_ID_TEXT })
      .regex(EXTERNAL_ID, { error: EXTERNAL_ID_TEXT })
      .optional()
      .describe("When set, the member role requires this sts:ExternalId on AssumeRole."),
    documents: z
      .array(
        z
          .string({ error: "an SSM document name such as AWS-RunShellScript, or a document ARN" })
          .refine((d) => DOCUMENT_NAME.test(d) || DOCUMENT_ARN.test(d), { error: "an SSM document name such as AWS-RunShellScript (3-128 letters, digits, '_', '-' or '.'), or a document ARN" }),
        { error: "a list of SSM document names or ARNs" },
      )
      .min(1, { error: "at least one document" })
      .max(20, { error: "at most 20 documents" })
      .default([...DEFAULT_ORCHESTRATION_DOCUMENTS])
      .describe(
        "Command documents the central tool may run. AWS-* / Amazon* names are AWS's; other names are each account's own documents. Default: AWS-RunShellScript, AWS-RunPowerShellScript. AWS-RunRemoteScript, AWS-RunDocument and AWS-ApplyAnsiblePlaybooks run code downloaded at run time: allowed, with a warning.",
      ),
    nodeTag: z
      .strictObject({
        key: tagKeyField(),
        value: z.string({ error: TAG_VALUE_TEXT }).regex(TAG_VALUE, { error: TAG_VALUE_TEXT }),
      })
      .optional()
      .describe("Only nodes with this tag (e.g. orchestration=allowed) may receive commands. Default: every node of the account."),
    regions: z
      .array(z.enum(AWS_REGIONS, { error: "an AWS Region code such as us-east-1 or eu-west-1" }), { error: "a list of Regions" })
      .min(1, { error: "at least one Region" })
      .optional()
      .describe("Regions where commands may run; each one of organization.workloadRegions. Default: all workload Regions."),
    fileCopierBucket: bucketNameField()
      .optional()
      .describe("Bucket (central account, home Region) the tool's file copier uploads to and nodes download from. Default: no file copier."),
    logGroupName: z
      .string({ error: LOG_GROUP_TEXT })
      .regex(LOG_GROUP_NAME, { error: LOG_GROUP_TEXT })
      .optional()
      .describe("Log group for command output beyond Run Command's 48,000 characters, created in every account and Region. Default: no log group."),
    logEncryption: z
      .enum(LOG_ENCRYPTIONS, { error: "aws-managed (CloudWatch Logs' own encryption, no key to pay for) or kms (one customer key per account and Region, about 1 USD a month each)" })
      .optional()
      .describe(
        "Encryption of the command output log groups (only with logGroupName): aws-managed, CloudWatch Logs' default encryption at rest; or kms, a customer key with rotation in every account and Region (a KMS key is Regional). Default: aws-managed.",
      ),
    targets: z
      .array(z.string({ error: "the name of a target group" }), { error: "a list of target group names" })
      .min(1, { error: "at least one target group" })
      .optional()
      .describe("Target groups (organization.targetGroups) whose accounts and OUs the central tool configures; listed in orchestration.json. The role exists in every account either way. Default: none listed."),
    instancePolicy: z
      .strictObject({
        attachToRole: iamNameField("role").optional(),
        // Names a new role and its instance profile alike: the role's 1-64 is the tighter limit.
        createInstanceProfile: iamNameField("role").optional(),
      })
      .optional()
      .describe("How nodes get the file-copier and log permissions: attachToRole (an instance role that exists in every account) or createInstanceProfile (a new role + profile with AmazonSSMManagedInstanceCore). Default: nothing for nodes."),
  })
  .describe("Cross-account command orchestration for a central runbook tool (Rundeck / Process Automation).");

export type OrchestrationConfig = z.infer<typeof OrchestrationSchema>;

/* ---------- the resolved model ---------- */

/**
 * A document the member role may send: `aws` (AWS-owned, no account in its ARN), `account` (each member
 * account's own document of that name), or `arn` (exactly the given ARN).
 */
export type OrchestrationDocument =
  | { readonly kind: "aws"; readonly name: string }
  | { readonly kind: "account"; readonly name: string }
  | { readonly kind: "arn"; readonly arn: string };

export type InstancePolicy = { readonly attachToRole: string } | { readonly createInstanceProfile: string };

/** What the central tool must configure: the named target groups' accounts and OUs, in the orchestration Regions. */
export interface OrchestrationTargets {
  /** Target group names, sorted. */
  readonly groups: readonly string[];
  /** Account ids listed in those groups, sorted, each once. */
  readonly accounts: readonly string[];
  /** OU ids of those groups, sorted, each once: the tool resolves their accounts. */
  readonly organizationalUnits: readonly string[];
}

export interface Orchestration {
  /** Role ARNs allowed to assume the member role, sorted. */
  readonly principals: readonly string[];
  /** Their accounts, sorted: the trust names each account root, narrowed by aws:PrincipalArn. */
  readonly principalAccounts: readonly string[];
  readonly externalId?: string;
  /** In config order. */
  readonly documents: readonly OrchestrationDocument[];
  readonly nodeTag?: { readonly key: string; readonly value: string };
  /** Home Region first (when included), then the workload Regions' order. */
  readonly regions: readonly string[];
  readonly fileCopierBucket?: string;
  readonly logGroupName?: string;
  /** With logGroupName only: `aws-managed` (no customer key) unless configured `kms`. */
  readonly logEncryption?: LogEncryption;
  readonly instancePolicy?: InstancePolicy;
  /** With `targets` only. */
  readonly targets?: OrchestrationTargets;
  /**
   * What a reviewer should know that does not stop the synth (e.g. a listed document that runs downloaded
   * code), in config order; empty when none. Synth prints nothing of these; the PR report may show them.
   */
  readonly warnings: readonly string[];
}

/**
 * Resolves the `orchestration` section (undefined when the config has none), pushing every problem that
 * needs more than one field onto `issues` with its path under `orchestration.`.
 */
export function resolveOrchestration(
  cfg: OrchestrationConfig | undefined,
  org: {
    readonly id: string;
    readonly workloadRegions: readonly string[];
    readonly centralAccount: string;
    /** The resolved organization.targetGroups: needed when the section names `targets`. */
    readonly targetGroups?: Readonly<Record<string, TargetGroup>>;
  },
  issues: ConfigIssue[],
): Orchestration | undefined {
  if (cfg === undefined) return undefined;
  const partition = partitionOf(org.workloadRegions[0] ?? "us-east-1");

  const principals = new Set<string>();
  const accounts = new Set<string>();
  const principalIssues = issues.length;
  cfg.principals.forEach((arn, i) => {
    const where = `orchestration.principals[${i}]`;
    const m = ROLE_ARN.exec(arn);
    if (!m) {
      const hint = /:assumed-role\//.test(arn)
        ? " (this is a role session; name the role itself)"
        : /:(user|group|root)\b/.test(arn) || /:iam::\d{12}:root$/.test(arn)
          ? " (only roles: the trust is narrowed to role ARNs)"
          : "";
      issues.push({ path: where, value: showValue(arn), allowed: `${ROLE_ARN_TEXT}${hint}` });
      return;
    }
    if (m[1] !== partition) {
      issues.push({ path: where, value: showValue(arn), allowed: `a role ARN in the ${partition} partition (the organization's Regions)` });
      return;
    }
    if (principals.has(arn)) issues.push({ path: where, value: showValue(arn), allowed: "each principal once" });
    principals.add(arn);
    accounts.add(m[2]!);
  });
  const sortedPrincipals = [...principals].sort();
  const principalAccounts = [...accounts].sort();
  if (issues.length === principalIssues) {
    // IAM counts a trust policy's characters without whitespace against the role trust policy quota.
    const length = trustPolicyLength(orchestrationTrustPolicy({ partition, organizationId: org.id, principals: sortedPrincipals, principalAccounts, ...(cfg.externalId !== undefined ? { externalId: cfg.externalId } : {}) }));
    if (length > TRUST_POLICY_MAX_CHARS) {
      issues.push({
        path: "orchestration.principals",
        value: `${sortedPrincipals.length} role ARNs in ${principalAccounts.length} accounts: a trust policy of ${length.toLocaleString("en-US")} characters`,
        allowed: `principals whose trust policy fits IAM's default role trust policy quota of ${TRUST_POLICY_MAX_CHARS.toLocaleString("en-US")} characters, counted without whitespace (${(length - TRUST_POLICY_MAX_CHARS).toLocaleString("en-US")} over): fewer role ARNs, shorter role paths, or a shorter externalId`,
      });
    }
  }

  const workload = new Set(org.workloadRegions);
  const chosen = new Set<string>();
  (cfg.regions ?? []).forEach((region, i) => {
    const where = `orchestration.regions[${i}]`;
    if (!workload.has(region)) issues.push({ path: where, value: showValue(region), allowed: `one of organization.workloadRegions (${org.workloadRegions.join(", ")})` });
    else if (chosen.has(region)) issues.push({ path: where, value: showValue(region), allowed: "each Region once" });
    chosen.add(region);
  });
  const regions = cfg.regions === undefined ? [...org.workloadRegions] : org.workloadRegions.filter((r) => chosen.has(r));

  const seenDocuments = new Set<string>();
  const documents: OrchestrationDocument[] = [];
  const warnings: string[] = [];
  cfg.documents.forEach((doc, i) => {
    const where = `orchestration.documents[${i}]`;
    if (seenDocuments.has(doc)) {
      issues.push({ path: where, value: showValue(doc), allowed: "each document once" });
      return;
    }
    seenDocuments.add(doc);
    const arn = DOCUMENT_ARN.exec(doc);
    // AWS's own documents: by name, or by an ARN without an account.
    const awsName = arn ? (arn[3] === undefined ? arn[4]! : undefined) : AWS_OWNED_DOCUMENT.test(doc) ? doc : undefined;
    if (awsName !== undefined && (REMOTE_CODE_DOCUMENTS as readonly string[]).includes(awsName)) {
      warnings.push(
        `${where}: ${awsName} runs code it downloads when it runs (GitHub or S3): the member role then lets the central tool's principals run any code on ${cfg.nodeTag ? `every account's nodes tagged ${cfg.nodeTag.key}=${cfg.nodeTag.value}` : "every node of every account"}, and the command shows only where the code came from`,
      );
    }
    if (arn) {
      if (arn[1] !== partition) issues.push({ path: where, value: showValue(doc), allowed: `a document ARN in the ${partition} partition` });
      else if (!regions.includes(arn[2]!)) issues.push({ path: where, value: showValue(doc), allowed: `a document ARN in one of the orchestration Regions (${regions.join(", ")})` });
      documents.push({ kind: "arn", arn: doc });
    } else {
      documents.push(AWS_OWNED_DOCUMENT.test(doc) ? { kind: "aws", name: doc } : { kind: "account", name: doc });
    }
  });

  if (cfg.fileCopierBucket !== undefined) {
    const problem = bucketNameProblem(cfg.fileCopierBucket);
    if (problem) issues.push({ path: "orchestration.fileCopierBucket", value: showValue(cfg.fileCopierBucket), allowed: problem });
  }

  if (cfg.logEncryption !== undefined && cfg.logGroupName === undefined) {
    issues.push({ path: "orchestration.logEncryption", value: showValue(cfg.logEncryption), allowed: "nothing unless logGroupName is set (there is no log group to encrypt)" });
  }

  let targets: OrchestrationTargets | undefined;
  if (cfg.targets !== undefined) {
    const known = org.targetGroups;
    // A caller that resolves a config naming targets must hand over the organization's target groups.
    if (known === undefined) throw new Error("resolveOrchestration: orchestration.targets needs the resolved organization.targetGroups");
    const groups = new Map<string, TargetGroup>();
    cfg.targets.forEach((name, i) => {
      const where = `orchestration.targets[${i}]`;
      const group = Object.prototype.hasOwnProperty.call(known, name) ? known[name] : undefined;
      if (!group) {
        const names = Object.keys(known);
        issues.push({ path: where, value: showValue(name), allowed: names.length ? `a target group: ${names.join(", ")}` : "a target group defined in organization.targetGroups" });
      } else if (groups.has(name)) {
        issues.push({ path: where, value: showValue(name), allowed: "each target group once" });
      } else {
        groups.set(name, group);
      }
    });
    const all = [...groups.values()];
    targets = {
      groups: [...groups.keys()].sort(),
      accounts: [...new Set(all.flatMap((g) => g.accounts))].sort(),
      organizationalUnits: [...new Set(all.flatMap((g) => g.organizationalUnits))].sort(),
    };
  }

  let instancePolicy: InstancePolicy | undefined;
  const ip = cfg.instancePolicy;
  if (ip !== undefined) {
    if ((ip.attachToRole === undefined) === (ip.createInstanceProfile === undefined)) {
      issues.push({
        path: "orchestration.instancePolicy",
        value: showValue(ip),
        allowed: "exactly one of attachToRole: <instance role name> or createInstanceProfile: <name>",
      });
    } else if (ip.attachToRole !== undefined) {
      instancePolicy = { attachToRole: ip.attachToRole };
    } else {
      instancePolicy = { createInstanceProfile: ip.createInstanceProfile! };
    }
    if (cfg.fileCopierBucket === undefined && cfg.logGroupName === undefined) {
      issues.push({
        path: "orchestration.instancePolicy",
        value: showValue(ip),
        allowed: "nothing unless fileCopierBucket or logGroupName is set (nodes would get an empty policy)",
      });
    }
    // aft-fleet creates this role and profile: not one of its own names (the config rule checks the other fields).
    const own = ip.createInstanceProfile !== undefined ? ownRoleProblem(ip.createInstanceProfile) : undefined;
    if (own !== undefined) issues.push({ path: "orchestration.instancePolicy.createInstanceProfile", value: showValue(ip.createInstanceProfile), allowed: own });
  }

  return {
    principals: sortedPrincipals,
    principalAccounts,
    ...(cfg.externalId !== undefined ? { externalId: cfg.externalId } : {}),
    documents,
    ...(cfg.nodeTag ? { nodeTag: { key: cfg.nodeTag.key, value: cfg.nodeTag.value } } : {}),
    regions,
    ...(cfg.fileCopierBucket !== undefined ? { fileCopierBucket: cfg.fileCopierBucket } : {}),
    ...(cfg.logGroupName !== undefined ? { logGroupName: cfg.logGroupName, logEncryption: cfg.logEncryption ?? "aws-managed" } : {}),
    ...(instancePolicy ? { instancePolicy } : {}),
    ...(targets ? { targets } : {}),
    warnings,
  };
}
