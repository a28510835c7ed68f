/** `aft-fleet status` output: the text view, the failed-pairs list and the JSON document. Pure. */
import type { RingCounts } from "../../contract/notifications";
import type { FleetStatus, RingStatus } from "./model";

/** Characters of the progress bar. */
const BAR_WIDTH = 30;
/** Failed pairs the overview lists per ring (`--failed` lists all). */
const OVERVIEW_FAILED_PAIRS = 20;
/** Version of the `--json` document's shape. */
const STATUS_JSON_VERSION = 1;

const BAR_PARTS: readonly [keyof RingCounts, string][] = [
  ["succeeded", "#"],
  ["inFlight", ">"],
  ["failed", "x"],
  ["notReady", "?"],
  ["notStarted", "."],
];

/**
 * `[###>>x?.....]`: one character per 1/BAR_WIDTH of the ring's pairs, `#` succeeded, `>` in flight, `x`
 * failed, `?` not ready, `.` not started (largest remainders, so the parts always fill the bar and a
 * part with any pair shows at least one character).
 */
export function progressBar(counts: RingCounts, width = BAR_WIDTH): string {
  if (counts.total === 0) return `[${" ".repeat(width)}]`;
  const parts = BAR_PARTS.map(([key, char]) => ({ char, n: counts[key], cells: 0, rest: 0 }));
  const nonZero = parts.filter((p) => p.n > 0);
  // Each present part gets one cell, the rest shares out by size.
  const free = width - nonZero.length;
  for (const p of nonZero) {
    const exact = (p.n / counts.total) * free;
    p.cells = 1 + Math.floor(exact);
    p.rest = exact - Math.floor(exact);
  }
  let left = width - parts.reduce((s, p) => s + p.cells, 0);
  for (const p of [...nonZero].sort((a, b) => b.rest - a.rest)) {
    if (left-- <= 0) break;
    p.cells++;
  }
  return `[${parts.map((p) => p.char.repeat(p.cells)).join("")}]`;
}

function countsLine(c: RingCounts): string {
  return `${c.succeeded} succeeded, ${c.inFlight} in flight, ${c.failed} failed, ${c.notReady} not ready, ${c.notStarted} not started of ${c.total} pairs`;
}

function versionLine(r: RingStatus): string {
  const version = r.version ?? "no version yet";
  const pin = r.pin !== undefined ? `, pinned ${r.pin}` : "";
  return `${version} (release ${r.release}${pin})`;
}

function gateLines(r: RingStatus): string[] {
  const lines: string[] = [];
  const label = r.gate.state === "held" ? "HELD" : r.gate.state === "frozen" ? "FROZEN" : r.gate.state;
  lines.push(`gate: ${label}: ${r.gate.text}`);
  const alarms: string[] = [];
  if (r.gate.previousAlarms.length > 0 && r.gate.previousRing !== undefined) alarms.push(`promotion waits on ${r.gate.previousAlarms.join(", ")} (ring ${r.gate.previousRing})`);
  if (r.gate.ownAlarms.length > 0) alarms.push(`new starts stop on ${r.gate.ownAlarms.join(", ")}`);
  if (alarms.length > 0) lines.push(`alarms: ${alarms.join("; ")}`);
  if (r.run !== undefined) {
    const gate = r.run.gate !== undefined ? `: ${r.run.gate}` : "";
    lines.push(`run: ${r.run.runId} in progress (lease until ${r.run.leaseExpiresAt})${gate}`);
  }
  if (!r.ledgerExists) lines.push("ledger: none yet (the ring has not run)");
  return lines;
}

function failedPairLine(p: { account: string; region: string; version?: string; reason: string }): string {
  return `${p.account}  ${p.region.padEnd(14)}  ${(p.version ?? "-").padEnd(8)}  ${p.reason}`;
}

/** The overview: per package and ring, version, progress, gate and failed pairs. */
export function renderStatus(status: FleetStatus): string {
  const out: string[] = [`aft-fleet status of s3://${status.bucket} at ${status.at}`];
  if (status.rings.length === 0) out.push("", "no ring specs in the store");
  let pkg: string | undefined;
  const width = Math.max(0, ...status.rings.map((r) => r.ring.length));
  for (const r of status.rings) {
    if (r.package !== pkg) {
      pkg = r.package;
      out.push("", r.kind === "package" ? `package ${r.package}` : `controller job ${r.package} (${r.kind})`);
    }
    out.push(`  ${r.ring.padEnd(width)}  ${versionLine(r)}`);
    out.push(`  ${" ".repeat(width)}  ${progressBar(r.counts)} ${countsLine(r.counts)}`);
    for (const line of gateLines(r)) out.push(`  ${" ".repeat(width)}  ${line}`);
    if (r.failed.length > 0) {
      out.push(`  ${" ".repeat(width)}  failed pairs (account, Region, version, reason):`);
      for (const p of r.failed.slice(0, OVERVIEW_FAILED_PAIRS)) out.push(`  ${" ".repeat(width)}    ${failedPairLine(p)}`);
      if (r.failed.length > OVERVIEW_FAILED_PAIRS) out.push(`  ${" ".repeat(width)}    ... and ${r.failed.length - OVERVIEW_FAILED_PAIRS} more (--failed lists all)`);
    }
  }
  return `${out.join("\n")}\n`;
}

/** `--failed`: one line per failed pair of every ring (package, ring, account, Region, version, reason). */
export function renderFailed(status: FleetStatus): string {
  const rows = status.rings.flatMap((r) => r.failed.map((p) => ({ ...p, package: r.package, ring: r.ring, held: r.held !== undefined })));
  if (rows.length === 0) return `no failed pairs in s3://${status.bucket} at ${status.at}\n`;
  const pw = Math.max(...rows.map((row) => row.package.length));
  const rw = Math.max(...rows.map((row) => row.ring.length));
  return `${rows.map((row) => `${row.package.padEnd(pw)}  ${row.ring.padEnd(rw)}  ${failedPairLine(row)}`).join("\n")}\n`;
}

/** `--json`: one document (`--failed`: only the failed pairs). */
export function statusJson(status: FleetStatus, failedOnly = false): unknown {
  if (failedOnly) {
    return {
      schemaVersion: STATUS_JSON_VERSION,
      bucket: status.bucket,
      at: status.at,
      failed: status.rings.flatMap((r) => r.failed.map((p) => ({ package: r.package, ring: r.ring, ...p }))),
    };
  }
  return { schemaVersion: STATUS_JSON_VERSION, bucket: status.bucket, at: status.at, rings: status.rings };
}
