import type { TrustPolicyDocument } from "../iam/policy";
import { trustPolicy } from "../iam/policy";

/*
 * The orchestration role's trust policy, built once for the member role (with config text made literal
 * for Terraform) and for the config check (raw, as IAM receives it after Terraform).
 */

/** IAM's default quota for a role trust policy ("Role trust policy length", IAM and STS quotas; adjustable to 4,096). */
export const TRUST_POLICY_MAX_CHARS = 2048;

export interface OrchestrationTrustInput {
  readonly partition: string;
  readonly organizationId: string;
  /** Role ARNs, sorted. */
  readonly principals: readonly string[];
  /** Their accounts, sorted. */
  readonly principalAccounts: readonly string[];
  readonly externalId?: string;
}

/**
 * One statement: the principals' account roots (once per account), narrowed by `aws:PrincipalArn` to the
 * role ARNs (each listed once), by `aws:PrincipalOrgID` and, when set, by `sts:ExternalId`. A role-ARN
 * principal would make IAM refuse the policy while the tool's role does not exist yet. One-element lists
 * are written as plain strings and the Sid is short: every character counts against the quota.
 * `literal` is applied to config text (tfLiteral for Terraform; identity to measure what IAM receives).
 */
export function orchestrationTrustPolicy(input: OrchestrationTrustInput, literal: (text: string) => string = (t) => t): TrustPolicyDocument {
  const one = (values: readonly string[]): string | readonly string[] => (values.length === 1 ? values[0]! : values);
  return trustPolicy({
    Sid: "Orchestrator",
    Effect: "Allow",
    Principal: { AWS: one(input.principalAccounts.map((a) => `arn:${input.partition}:iam::${a}:root`)) },
    Action: "sts:AssumeRole",
    Condition: {
      StringEquals: {
        "aws:PrincipalOrgID": input.organizationId,
        ...(input.externalId !== undefined ? { "sts:ExternalId": literal(input.externalId) } : {}),
      },
      ArnEquals: { "aws:PrincipalArn": one(input.principals.map(literal)) },
    },
  });
}

/** The policy's length as IAM counts it against the quota: the JSON text without whitespace. */
export function trustPolicyLength(doc: TrustPolicyDocument): number {
  return JSON.stringify(doc).replace(/\s/g, "").length;
}
