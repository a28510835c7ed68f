/**
 * Target resolution for one ring: OUs walked recursively plus listed accounts, ACTIVE accounts only,
 * never the management account unless listed, never an account owned by an earlier ring of the same
 * package (an account in two rings belongs to the first). Pure: the organization comes in as a snapshot.
 */
import type { RingSpecCore, RingTargets } from "../../contract";

/** An account as Organizations describes it (`Account.State`: ACTIVE, SUSPENDED, PENDING_CLOSURE, ...). */
export interface OrgAccount {
  readonly id: string;
  readonly state: string;
}

/**
 * A read-only view of the organization. `accountsInOu` and `childOus` take an OU id (`ou-...`) or a
 * root id (`r-...`) and must throw for an id the organization does not have (an unknown OU fails the run).
 */
export interface OrgSnapshot {
  accountsInOu(ouId: string): Iterable<OrgAccount>;
  childOus(ouId: string): Iterable<string>;
  account(id: string): OrgAccount | undefined;
}

export interface SkippedAccount {
  readonly account: string;
  readonly reason: string;
}

export interface ResolvedTargets {
  /** Sorted, de-duplicated. */
  readonly accounts: readonly string[];
  /** Sorted by account; one entry per account. */
  readonly skipped: readonly SkippedAccount[];
}

export interface ResolveOptions {
  /**
   * Names of the earlier rings, in the order of `spec.earlierRingTargets`. The ring spec carries only
   * the previous ring's name, so without this the others are named by their position (`#0`, `#1`, ...).
   */
  readonly earlierRingNames?: readonly string[];
}

/** Organizations `Account.State` of an account that can be worked on. */
const ACTIVE = "ACTIVE";

/** Every account under the given OUs and roots, walked breadth-first (no recursion, so no depth limit). */
export function accountsUnder(org: OrgSnapshot, ouIds: Iterable<string>): Map<string, OrgAccount> {
  const found = new Map<string, OrgAccount>();
  const seen = new Set<string>();
  const queue: string[] = [];
  for (const id of ouIds) {
    if (!seen.has(id)) {
      seen.add(id);
      queue.push(id);
    }
  }
  for (let i = 0; i < queue.length; i++) {
    const ou = queue[i]!;
    for (const account of org.accountsInOu(ou)) found.set(account.id, account);
    for (const child of org.childOus(ou)) {
      if (!seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** Accounts a ring's targets cover, whatever their state; the management account only when listed. */
function coveredAccounts(org: OrgSnapshot, targets: RingTargets, managementAccount: string): Set<string> {
  const covered = new Set(accountsUnder(org, targets.organizationalUnits).keys());
  covered.delete(managementAccount);
  for (const id of targets.accounts) covered.add(id);
  return covered;
}

function earlierRingName(spec: RingSpecCore, index: number, options: ResolveOptions): string {
  const given = options.earlierRingNames?.[index];
  if (given !== undefined) return given;
  if (index === spec.earlierRingTargets.length - 1 && spec.previous) return spec.previous.name;
  return `#${index}`;
}

/** The accounts this ring works on, and why every other account it came across is left out. */
export function resolveTargets(spec: RingSpecCore, org: OrgSnapshot, options: ResolveOptions = {}): ResolvedTargets {
  const candidates = new Map<string, OrgAccount | undefined>(accountsUnder(org, spec.targets.organizationalUnits));
  const listed = new Set(spec.targets.accounts);
  for (const id of listed) {
    if (!candidates.has(id)) candidates.set(id, org.account(id));
  }

  // The first ring that covers an account owns it.
  const owner = new Map<string, string>();
  spec.earlierRingTargets.forEach((targets, index) => {
    const name = earlierRingName(spec, index, options);
    for (const id of coveredAccounts(org, targets, spec.managementAccount)) {
      if (!owner.has(id)) owner.set(id, name);
    }
  });

  const accounts: string[] = [];
  const skipped: SkippedAccount[] = [];
  for (const id of [...candidates.keys()].sort()) {
    const account = candidates.get(id);
    let reason: string | undefined;
    if (account === undefined) reason = "not in the organization";
    else if (account.state !== ACTIVE) reason = `account state is ${account.state}`;
    else if (id === spec.managementAccount && !listed.has(id)) reason = "management account";
    else if (owner.has(id)) reason = `owned by earlier ring ${owner.get(id)!}`;
    if (reason === undefined) accounts.push(id);
    else skipped.push({ account: id, reason });
  }
  return { accounts, skipped };
}

/** The organization as plain data: every OU and account names its parent (an OU id or the root id). */
export interface OrgTree {
  readonly rootId: string;
  readonly ous: readonly { readonly id: string; readonly parent: string }[];
  readonly accounts: readonly { readonly id: string; readonly state: string; readonly parent: string }[];
}

/** An in-memory OrgSnapshot (tests, benchmark, or a snapshot built from one listing of the organization). */
export function memoryOrg(tree: OrgTree): OrgSnapshot {
  const children = new Map<string, string[]>([[tree.rootId, []]]);
  const members = new Map<string, OrgAccount[]>([[tree.rootId, []]]);
  for (const ou of tree.ous) {
    children.set(ou.id, children.get(ou.id) ?? []);
    members.set(ou.id, members.get(ou.id) ?? []);
  }
  const byId = new Map<string, OrgAccount>();
  const parentOf = (id: string, parent: string): void => {
    if (!children.has(parent)) throw new Error(`${id}: parent ${parent} is not an OU or root of the organization`);
  };
  for (const ou of tree.ous) {
    parentOf(ou.id, ou.parent);
    children.get(ou.parent)!.push(ou.id);
  }
  for (const a of tree.accounts) {
    parentOf(a.id, a.parent);
    const account = { id: a.id, state: a.state };
    members.get(a.parent)!.push(account);
    byId.set(a.id, account);
  }
  const known = <T>(map: Map<string, T>, ouId: string): T => {
    const value = map.get(ouId);
    if (value === undefined) throw new Error(`unknown organizational unit ${ouId}`);
    return value;
  };
  return {
    accountsInOu: (ouId) => known(members, ouId),
    childOus: (ouId) => known(children, ouId),
    account: (id) => byId.get(id),
  };
}
