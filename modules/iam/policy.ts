/*
 * A small typed builder for IAM and resource policies. Policies are built as objects and serialized
 * once with JSON.stringify, never assembled from string templates.
 */

export type Principal =
  | "*"
  | { readonly AWS?: string | readonly string[]; readonly Service?: string | readonly string[] };

export type ConditionBlock = Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: Principal;
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: ConditionBlock;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

export function policyDocument(...statements: PolicyStatement[]): PolicyDocument {
  for (const s of statements) {
    const actions = typeof s.Action === "string" ? [s.Action] : s.Action;
    if (actions.includes("*")) throw new Error(`policy statement ${s.Sid}: "Action": "*" is not allowed`);
  }
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * A statement of a role's trust policy: who may assume the role. It names a principal and has no
 * Resource (the role itself is the resource).
 */
export interface TrustStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Principal: { readonly AWS?: string | readonly string[]; readonly Service?: string | readonly string[] };
  readonly Action: "sts:AssumeRole";
  readonly Condition?: ConditionBlock;
}

export interface TrustPolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly TrustStatement[];
}

/** A role trust policy; refuses a wildcard principal, which would let any AWS account assume the role. */
export function trustPolicy(...statements: TrustStatement[]): TrustPolicyDocument {
  for (const s of statements) {
    const aws = s.Principal.AWS === undefined ? [] : typeof s.Principal.AWS === "string" ? [s.Principal.AWS] : s.Principal.AWS;
    if (aws.includes("*")) throw new Error(`trust statement ${s.Sid}: a "*" principal is not allowed`);
    if (aws.length === 0 && s.Principal.Service === undefined) throw new Error(`trust statement ${s.Sid}: names no principal`);
  }
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * The key-policy statement that keeps a customer key under its account's control (AWS's default key
 * policy); IAM policies then scope who may use it. In a key policy, `"Resource": "*"` means this key.
 */
export function accountAdministersKey(partition: string, accountId: string): PolicyStatement {
  return {
    Sid: "AccountAdministersKey",
    Effect: "Allow",
    Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
    Action: "kms:*",
    Resource: "*",
  };
}

export function toJson(doc: PolicyDocument | TrustPolicyDocument): string {
  return JSON.stringify(doc);
}
