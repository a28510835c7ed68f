/*
 * The `--ledger FILE` input: the fleet's current state, one JSON object
 *   { "<package>/<ring>": RingLedger, ... }
 * where each value is the controller's ledger as stored at `ledger/<package>/<ring>.json` (contract/ledger.ts),
 * e.g. gathered with `aws s3 cp s3://<store>/ledger/<package>/<ring>.json -` per ring.
 */
import type { PairStatus, RingLedger } from "../../contract/ledger";
import { ReportError } from "./errors";

export type Ledgers = Readonly<Record<string, RingLedger>>;

export const PAIR_STATUSES: readonly PairStatus[] = ["Succeeded", "Pending", "Failed", "NotReady", "NotStarted", "Skipped"];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Parses and checks a ledger file's text; `file` names it in errors. */
export function parseLedgers(text: string, file: string): Ledgers {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ReportError(`${file}: not valid JSON (${(err as Error).message}); allowed: { "<package>/<ring>": <ledger object> }`);
  }
  if (!isObject(raw)) throw new ReportError(`${file}: got ${Array.isArray(raw) ? "an array" : typeof raw}; allowed: an object { "<package>/<ring>": <ledger object> }`);
  const out: Record<string, RingLedger> = Object.create(null);
  for (const [key, value] of Object.entries(raw)) {
    if (!/^[^/]+\/[^/]+$/.test(key)) throw new ReportError(`${file}: key ${JSON.stringify(key)}; allowed: "<package>/<ring>"`);
    if (!isObject(value) || !isObject(value.pairs)) throw new ReportError(`${file}: ${key}: got no "pairs" object; allowed: a ring ledger (ledger/<package>/<ring>.json)`);
    for (const [pair, record] of Object.entries(value.pairs)) {
      if (!isObject(record) || !PAIR_STATUSES.includes(record.status as PairStatus)) {
        throw new ReportError(`${file}: ${key}.pairs.${pair}.status: got ${JSON.stringify(isObject(record) ? record.status : record)}; allowed: ${PAIR_STATUSES.join(", ")}`);
      }
    }
    out[key] = value as unknown as RingLedger;
  }
  return out;
}

export function statusCounts(ledger: RingLedger): Record<PairStatus, number> {
  const counts = Object.fromEntries(PAIR_STATUSES.map((s) => [s, 0])) as Record<PairStatus, number>;
  for (const record of Object.values(ledger.pairs)) counts[record.status] += 1;
  return counts;
}
