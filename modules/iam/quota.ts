/*
 * IAM's size quotas, checked on the emitted Terraform before anything is written (IAM User Guide, "IAM
 * and AWS STS quotas"): the inline policies of one role total at most 10,240 characters, a managed
 * policy at most 6,144, a role trust policy at most 2,048 (the default; 4,096 after a quota increase).
 * IAM counts characters without whitespace. Terraform references in a policy are resolved at apply, so
 * the check counts an account id reference as its 12 digits and any other reference as 128 characters
 * (an ARN of a name-bounded resource), which errs on the side of refusing.
 */

export const INLINE_POLICIES_PER_ROLE_MAX = 10_240;
export const MANAGED_POLICY_MAX = 6_144;
export const TRUST_POLICY_MAX = 2_048;

const ACCOUNT_REFERENCE = /\$\{data\.aws_caller_identity\.[A-Za-z0-9_]+\.account_id\}/g;
const OTHER_REFERENCE = /\$\{[^}]*\}/g;

/** The length IAM would count for `policy` once Terraform resolved its references (whitespace outside strings dropped). */
export function policyLength(policy: string): number {
  const resolved = policy.replace(ACCOUNT_REFERENCE, "0".repeat(12)).replace(OTHER_REFERENCE, "x".repeat(128));
  try {
    return JSON.stringify(JSON.parse(resolved)).replace(/\s/g, "").length;
  } catch {
    return resolved.replace(/\s/g, "").length;
  }
}

/** The largest statements of a policy, for a message that says what made it too large. */
function largestStatements(policies: readonly string[]): string {
  const sized: Array<{ sid: string; length: number }> = [];
  for (const text of policies) {
    try {
      const doc = JSON.parse(text.replace(ACCOUNT_REFERENCE, "0".repeat(12)));
      for (const statement of [doc.Statement].flat()) sized.push({ sid: statement?.Sid ?? "(no Sid)", length: policyLength(JSON.stringify(statement)) });
    } catch {
      // not JSON (a Terraform expression): nothing to itemize
    }
  }
  return sized
    .sort((a, b) => b.length - a.length)
    .slice(0, 3)
    .map((s) => `${s.sid} ${s.length.toLocaleString("en-US")}`)
    .join(", ");
}

export interface QuotaProblem {
  /** What is too large, e.g. "role aft-fleet-execution: inline policies". */
  readonly what: string;
  readonly length: number;
  readonly max: number;
  /** The largest statements, "Sid length, ...". */
  readonly largest: string;
}

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** Every IAM size quota the emitted tree `tree` (Terraform JSON) would break. */
export function iamQuotaProblems(tree: { resource?: Resources }): QuotaProblem[] {
  const resources = tree.resource ?? {};
  const problems: QuotaProblem[] = [];
  const roleName = (ref: unknown) => {
    const text = String(ref);
    const id = /^\$\{aws_iam_role\.([A-Za-z0-9_-]+)\.(id|name)\}$/.exec(text)?.[1];
    const role = id ? resources.aws_iam_role?.[id] : undefined;
    return role?.name !== undefined ? String(role.name) : text;
  };
  const byRole = new Map<string, string[]>();
  for (const policy of Object.values(resources.aws_iam_role_policy ?? {})) {
    const name = roleName(policy.role);
    byRole.set(name, [...(byRole.get(name) ?? []), String(policy.policy)]);
  }
  for (const [role, policies] of [...byRole].sort(([a], [b]) => a.localeCompare(b))) {
    const length = policies.reduce((sum, p) => sum + policyLength(p), 0);
    if (length > INLINE_POLICIES_PER_ROLE_MAX) problems.push({ what: `role ${role}: inline policies`, length, max: INLINE_POLICIES_PER_ROLE_MAX, largest: largestStatements(policies) });
  }
  for (const policy of Object.values(resources.aws_iam_policy ?? {})) {
    const length = policyLength(String(policy.policy));
    if (length > MANAGED_POLICY_MAX) problems.push({ what: `managed policy ${String(policy.name)}`, length, max: MANAGED_POLICY_MAX, largest: largestStatements([String(policy.policy)]) });
  }
  for (const role of Object.values(resources.aws_iam_role ?? {})) {
    const length = policyLength(String(role.assume_role_policy));
    if (length > TRUST_POLICY_MAX) problems.push({ what: `role ${String(role.name)}: trust policy`, length, max: TRUST_POLICY_MAX, largest: largestStatements([String(role.assume_role_policy)]) });
  }
  return problems;
}
