import type { OrchestrationDocument } from "../config/orchestration";

/*
 * Names the member tree, the central tree and the handoff file share. The member tree builds every ARN it
 * needs from these and from config strings, never from a resource of the central tree, so AFT may apply
 * it in an account before the central account's stage ever ran.
 */

/** The role the central tool assumes in every account (global customization). */
export const ORCHESTRATION_ROLE_NAME = "aft-fleet-orchestration";
/** The managed policy nodes get (file copier reads, command output writes). */
export const ORCHESTRATION_NODE_POLICY_NAME = "aft-fleet-orchestration-node";
/** Alias of the file-copier bucket's customer key; member nodes find the key by it (no cross-account reference). */
export const FILE_COPIER_KEY_ALIAS = "alias/aft-fleet/orchestration-file-copier";
/** Days command output is kept in each account's log group. */
export const COMMAND_LOG_RETENTION_DAYS = 365;

/** `arn:<p>:iam::<account>:role/aft-fleet-orchestration`. */
export function orchestrationRoleArn(partition: string, account: string): string {
  return `arn:${partition}:iam::${account}:role/${ORCHESTRATION_ROLE_NAME}`;
}

/** The ARN of a document in one Region: AWS's documents have no account; the account's own documents name it. */
export function documentArn(partition: string, region: string, account: string, doc: OrchestrationDocument): string {
  switch (doc.kind) {
    case "aws":
      return `arn:${partition}:ssm:${region}::document/${doc.name}`;
    case "account":
      return `arn:${partition}:ssm:${region}:${account}:document/${doc.name}`;
    case "arn":
      return doc.arn;
  }
}

/** `arn:<p>:logs:<region>:<account>:log-group:<name>`. */
export function logGroupArn(partition: string, region: string, account: string, name: string): string {
  return `arn:${partition}:logs:${region}:${account}:log-group:${name}`;
}
