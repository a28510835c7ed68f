/**
 * Organizations walker: lists the OUs a ring spec names (and their children, iteratively) once per
 * invocation and returns the synchronous OrgSnapshot that targets.ts resolves against.
 *
 * AWS API actions: organizations:ListOrganizationalUnitsForParent, organizations:ListAccountsForParent,
 * organizations:DescribeAccount (accounts listed in a ring but found under none of its OUs).
 */
import {
  DescribeAccountCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  type Account,
  type OrganizationsClient,
} from "@aws-sdk/client-organizations";
import type { RingSpecCore } from "../../contract";
import { withBackoff, type BackoffOptions } from "../shared/retry";
import { errorName } from "./pair-errors";
import type { OrgAccount, OrgSnapshot } from "./targets";

/** Organizations `Account.State`, or the legacy `Status` when State is absent (anything but ACTIVE is not active). */
function accountState(account: Pick<Account, "State" | "Status">): string {
  if (account.State) return account.State;
  if (account.Status) return account.Status;
  return "UNKNOWN";
}

async function listChildOus(org: OrganizationsClient, parentId: string, backoff?: BackoffOptions): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const next = token;
    const page = await withBackoff(() => org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parentId, ...(next ? { NextToken: next } : {}) })), backoff);
    for (const ou of page.OrganizationalUnits ?? []) if (ou.Id) ids.push(ou.Id);
    token = page.NextToken || undefined;
  } while (token);
  return ids;
}

async function listAccounts(org: OrganizationsClient, parentId: string, backoff?: BackoffOptions): Promise<OrgAccount[]> {
  const accounts: OrgAccount[] = [];
  let token: string | undefined;
  do {
    const next = token;
    const page = await withBackoff(() => org.send(new ListAccountsForParentCommand({ ParentId: parentId, ...(next ? { NextToken: next } : {}) })), backoff);
    for (const a of page.Accounts ?? []) if (a.Id) accounts.push({ id: a.Id, state: accountState(a) });
    token = page.NextToken || undefined;
  } while (token);
  return accounts;
}

/** One OU's (or root's) direct accounts and child OUs: ListAccountsForParent, then ListOrganizationalUnitsForParent, all pages. */
export async function listOu(org: OrganizationsClient, ouId: string, backoff?: BackoffOptions): Promise<{ accounts: OrgAccount[]; children: string[] }> {
  const accounts = await listAccounts(org, ouId, backoff);
  const children = await listChildOus(org, ouId, backoff);
  return { accounts, children };
}

/** DescribeAccount: the account, or undefined when the organization has no such account (AccountNotFoundException). */
export async function describeOrgAccount(org: OrganizationsClient, id: string, backoff?: BackoffOptions): Promise<OrgAccount | undefined> {
  try {
    const response = await withBackoff(() => org.send(new DescribeAccountCommand({ AccountId: id })), backoff);
    return response.Account?.Id ? { id, state: accountState(response.Account) } : undefined;
  } catch (error) {
    if (errorName(error) !== "AccountNotFoundException") throw error;
    return undefined;
  }
}

/** The OUs and roots a spec (and its earlier rings) name, de-duplicated in order, and its listed accounts, sorted. */
export function specOrgNeeds(spec: RingSpecCore): { roots: string[]; listedAccounts: string[] } {
  const all = [spec.targets, ...spec.earlierRingTargets];
  return {
    roots: [...new Set(all.flatMap((t) => t.organizationalUnits))],
    listedAccounts: [...new Set(all.flatMap((t) => t.accounts))].sort(),
  };
}

/**
 * Walks every OU and root the spec (and its earlier rings) name, breadth-first, and looks up listed
 * accounts found under none of them. An unknown OU fails the walk (the SDK error propagates).
 */
export async function loadOrgSnapshot(org: OrganizationsClient, spec: RingSpecCore, backoff?: BackoffOptions): Promise<OrgSnapshot> {
  const children = new Map<string, string[]>();
  const members = new Map<string, OrgAccount[]>();
  const byId = new Map<string, OrgAccount>();
  const { roots, listedAccounts } = specOrgNeeds(spec);
  const queue: string[] = [...roots];
  const seen = new Set<string>(roots);
  for (let i = 0; i < queue.length; i++) {
    const ou = queue[i]!;
    const { accounts, children: childOus } = await listOu(org, ou, backoff);
    members.set(ou, accounts);
    children.set(ou, childOus);
    for (const a of accounts) byId.set(a.id, a);
    for (const child of childOus) {
      if (!seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  for (const id of listedAccounts) {
    if (byId.has(id)) continue;
    const account = await describeOrgAccount(org, id, backoff);
    if (account !== undefined) byId.set(id, account);
  }
  const known = <T>(map: Map<string, T>, ouId: string): T => {
    const value = map.get(ouId);
    if (value === undefined) throw new Error(`organizational unit ${ouId} was not listed`);
    return value;
  };
  return {
    accountsInOu: (ouId) => known(members, ouId),
    childOus: (ouId) => known(children, ouId),
    account: (id) => byId.get(id),
  };
}
