/** Lease rules over the ledger (pure): one run owns a ring until its lease expires. */
import type { PairRecord, RingLedger } from "../../contract";

/** How long a run owns its ring after taking or renewing the lease. */
export const LEASE_MS = 15 * 60 * 1000;

/** Another run's lease that is still live at `now`. */
export function foreignLease(ledger: RingLedger, runId: string, now: Date): RingLedger["lease"] | undefined {
  const lease = ledger.lease;
  if (lease === undefined || lease.runId === runId) return undefined;
  return Date.parse(lease.expiresAt) > now.getTime() ? lease : undefined;
}

/** The run of an expired lease that is not this run's: its journals are merged by this run's plan. */
export function deadRun(ledger: RingLedger, runId: string, now: Date): string | undefined {
  const lease = ledger.lease;
  if (lease === undefined || lease.runId === runId) return undefined;
  return Date.parse(lease.expiresAt) > now.getTime() ? undefined : lease.runId;
}

export function withoutLease(ledger: RingLedger): RingLedger {
  const { lease: _lease, ...rest } = ledger;
  return rest;
}

export function withLease(ledger: RingLedger, runId: string, now: Date): RingLedger {
  return { ...ledger, lease: { runId, expiresAt: new Date(now.getTime() + LEASE_MS).toISOString() } };
}

/** Journal records over the ledger: a record replaces the ledger's pair unless the ledger's is newer. */
export function mergeRecords(ledger: RingLedger, records: Readonly<Record<string, PairRecord>>): RingLedger {
  let pairs: Record<string, PairRecord> | undefined;
  for (const key in records) {
    const record = records[key]!;
    const current = (pairs ?? ledger.pairs)[key];
    if (current !== undefined && Date.parse(record.updatedAt) < Date.parse(current.updatedAt)) continue;
    pairs ??= { ...ledger.pairs };
    pairs[key] = record;
  }
  return pairs === undefined ? ledger : { ...ledger, pairs };
}

export function leaseHeldMessage(lease: NonNullable<RingLedger["lease"]>): string {
  return `ring is leased by run ${lease.runId} until ${lease.expiresAt}; this run does nothing`;
}
