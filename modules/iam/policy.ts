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

export function toJson(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}
