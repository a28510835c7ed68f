/**
 * expand-targets: turns OUs and account ids into the ACTIVE member accounts to roll out to, in
 * groups of at most 50 (the TargetLocation.Accounts limit).
 *
 * OUs are expanded recursively (TargetLocations with IncludeChildOrganizationUnits=false, the
 * default, would not descend). Accounts whose State (or legacy Status) is not ACTIVE are skipped.
 *
 * AWS API actions: organizations:ListAccountsForParent, organizations:ListOrganizationalUnitsForParent,
 * organizations:DescribeAccount.
 */
import {
  DescribeAccountCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  OrganizationsClient,
  type Account,
} from "@aws-sdk/client-organizations";
import { chunk, sortedUnique } from "../shared/chunk";
import { clientConfig } from "../shared/clients";
import { withBackoff, type BackoffOptions } from "../shared/retry";
import {
  ACCOUNT_ID,
  OU_ID,
  ROOT_ID,
  asEvent,
  optionalInteger,
  optionalStringArray,
  requireStringArray,
} from "../shared/validate";

/** TargetLocation.Accounts accepts at most 50 entries. */
export const MAX_GROUP_SIZE = 50;

export interface ExpandTargetsEvent {
  /** OU ids (`ou-…`) or the root id (`r-…`); expanded recursively. */
  organizationalUnits: string[];
  /** Account ids kept only if they are ACTIVE members of the organization. */
  accounts: string[];
  excludeAccounts?: string[];
  /** Accounts per group. @default 50 */
  groupSize?: number;
}

export interface SkippedAccount {
  accountId: string;
  reason: string;
}

export interface ExpandTargetsResult {
  accounts: string[];
  groups: string[][];
  skipped: SkippedAccount[];
}

export interface ExpandTargetsDeps {
  organizations: OrganizationsClient;
  backoff?: BackoffOptions;
}

const PARENT_ID = new RegExp(`${OU_ID.source}|${ROOT_ID.source}`);

export function parseExpandTargetsEvent(raw: unknown): Required<ExpandTargetsEvent> {
  const event = asEvent(raw);
  return {
    organizationalUnits: requireStringArray(event, "organizationalUnits", { pattern: PARENT_ID, allowed: "OU ids (ou-…) or root ids (r-…)" }),
    accounts: requireStringArray(event, "accounts", { pattern: ACCOUNT_ID, allowed: "12-digit account ids" }),
    excludeAccounts: optionalStringArray(event, "excludeAccounts", { pattern: ACCOUNT_ID, allowed: "12-digit account ids" }) ?? [],
    groupSize: optionalInteger(event, "groupSize", 1, MAX_GROUP_SIZE) ?? MAX_GROUP_SIZE,
  };
}

/** AWS is replacing Status with State; prefer State when the API returns it. */
function lifecycleState(account: Account): string {
  return account.State ?? account.Status ?? "UNKNOWN";
}

async function listAccountsUnder(parentId: string, deps: ExpandTargetsDeps): Promise<Account[]> {
  const accounts: Account[] = [];
  let nextToken: string | undefined;
  do {
    const page = await withBackoff(
      () => deps.organizations.send(new ListAccountsForParentCommand({ ParentId: parentId, NextToken: nextToken })),
      deps.backoff,
    );
    accounts.push(...(page.Accounts ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return accounts;
}

async function listChildOus(parentId: string, deps: ExpandTargetsDeps): Promise<string[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await withBackoff(
      () => deps.organizations.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parentId, NextToken: nextToken })),
      deps.backoff,
    );
    for (const ou of page.OrganizationalUnits ?? []) if (ou.Id) ids.push(ou.Id);
    nextToken = page.NextToken;
  } while (nextToken);
  return ids;
}

/** Lifecycle state of an explicitly listed account, or undefined when it is not in the organization. */
async function describeState(accountId: string, deps: ExpandTargetsDeps): Promise<string | undefined> {
  try {
    const response = await withBackoff(
      () => deps.organizations.send(new DescribeAccountCommand({ AccountId: accountId })),
      deps.backoff,
    );
    return response.Account ? lifecycleState(response.Account) : undefined;
  } catch (error) {
    if ((error as { name?: string }).name === "AccountNotFoundException") return undefined;
    throw error;
  }
}

export async function expandTargets(raw: unknown, deps: ExpandTargetsDeps): Promise<ExpandTargetsResult> {
  const event = parseExpandTargetsEvent(raw);
  /** account id -> lifecycle state (undefined: not a member). */
  const found = new Map<string, string | undefined>();

  // Breadth-first over the OU tree; `visited` guards against an OU listed twice or nested in another listed OU.
  const visited = new Set<string>();
  const queue = [...new Set(event.organizationalUnits)];
  while (queue.length > 0) {
    const parentId = queue.shift() as string;
    if (visited.has(parentId)) continue;
    visited.add(parentId);
    for (const account of await listAccountsUnder(parentId, deps)) {
      if (account.Id) found.set(account.Id, lifecycleState(account));
    }
    queue.push(...(await listChildOus(parentId, deps)));
  }

  for (const accountId of sortedUnique(event.accounts)) {
    if (!found.has(accountId)) found.set(accountId, await describeState(accountId, deps));
  }

  const excluded = new Set(event.excludeAccounts);
  const accounts: string[] = [];
  const skipped: SkippedAccount[] = [];
  for (const accountId of sortedUnique(found.keys())) {
    const state = found.get(accountId);
    if (excluded.has(accountId)) skipped.push({ accountId, reason: "excluded" });
    else if (state === undefined) skipped.push({ accountId, reason: "not a member of the organization" });
    else if (state !== "ACTIVE") skipped.push({ accountId, reason: `account state is ${state}` });
    else accounts.push(accountId);
  }
  return { accounts, groups: chunk(accounts, event.groupSize), skipped };
}

let organizations: OrganizationsClient | undefined;

export async function handler(event: unknown): Promise<ExpandTargetsResult> {
  organizations ??= new OrganizationsClient(clientConfig());
  return expandTargets(event, { organizations });
}
