/**
 * The rollout controller Lambda (aft-fleet-rollout-controller): one step of the ring runbook per call.
 *
 *   plan:      spec + ledger (+ previous ring's ledger) -> lease -> alarms -> targets -> planRun -> plan.json
 *   apply:     renew lease -> merge journals -> read back Pending -> start pairs (journal after each) -> save
 *   summarize: final summary, FailedTargets metric, release the lease
 *
 * The runbook branches on the result JSON containing `"status":"Continue"`.
 */
import { partitionOf } from "../../contract/partition";
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { S3Client } from "@aws-sdk/client-s3";
import type { SSMClient } from "@aws-sdk/client-ssm";
import {
  EXECUTION_ROLE_NAME,
  FAILED_TARGETS_METRIC,
  METRIC_NAMESPACE,
  runObjectKey,
  sourceUrlOf,
  type ControllerEvent,
  type ControllerResult,
  type ControllerStep,
  type PairRecord,
  type RingLedger,
  type AnyRingSpec,
  type AsgImageRingSpec,
  type EmergencyPatchRingSpec,
  type InventorySyncRingSpec,
  type RingSpec,
  type RingSpecCore,
  type RunSummary,
} from "../../contract";
import { chunk } from "../shared/chunk";
import { clientConfig, describeError, s3ClientConfig } from "../shared/clients";
import type { LambdaContext } from "../shared/context";
import { withBackoff, type BackoffOptions } from "../shared/retry";
import { BUCKET_NAME, RUN_ID, asEvent, requireString, InputError } from "../shared/validate";
import { loadOrgSnapshot } from "./org";
import {
  CredentialCache,
  classifyPairError,
  NotReadyError,
  assumeMember,
  centralStsClient,
  defaultCredentialCache,
  ensureAssociation,
  ensurePackageVersion,
  memberSsm,
  readAssociationStatus,
  startOnce,
  type PairDeps,
  type StsSender,
} from "./pair";
import { readCommandStatus, sendPatchCommand } from "./job-emergency-patch";
import { advanceImageGroup, imagePairOutcome, memberImageClients, startImageGroups, type ImageClients } from "./job-asg-image";
import { ensureInventorySync } from "./job-inventory-sync";
import { buildSummary, nextStarts, planRun, recordReached, resolveTargets, ringProgress, type GateDecision } from "./plan";
import { LedgerConflictError, Store, type RunPlan, type StoredLedger } from "./store";

/** How long a run owns its ring after taking or renewing the lease. */
export const LEASE_MS = 15 * 60 * 1000;
/** No new pair starts with less than this left in the invocation. */
export const MIN_REMAINING_MS = 30_000;
/** Document polling never eats into the reserve kept for saving. */
const DOCUMENT_POLL_MAX_MS = 60_000;

export const SPEC_KEY = /^controller\/.+\.json$/;
const STEPS: readonly ControllerStep[] = ["plan", "apply", "summarize"];

export interface ControllerDeps {
  readonly s3: S3Client;
  readonly organizations: OrganizationsClient;
  readonly cloudwatch: CloudWatchClient;
  readonly sts: StsSender;
  /** The member's SSM client in a Region (default: assumeMember + memberSsmClient). Tests wrap it. */
  readonly memberSsm?: (account: string, region: string, runId: string) => Promise<SSMClient>;
  /** The member's SSM, EC2 and Auto Scaling clients (kind asg-image; default: assumeMember + memberImageClients). */
  readonly memberImageClients?: (account: string, region: string, runId: string) => Promise<ImageClients>;
  readonly credentialCache?: CredentialCache;
  readonly backoff?: BackoffOptions;
  /** Passed to ensurePackageVersion (sleep, polling). */
  readonly pair?: PairDeps;
}

/** Checks the event before any AWS call. */
export function validateEvent(input: unknown): ControllerEvent {
  const event = asEvent(input);
  const step = requireString(event, "step");
  if (!STEPS.includes(step as ControllerStep)) throw new InputError("step", step, STEPS.join(", "));
  const runId = requireString(event, "runId", RUN_ID, "a run id of 1-128 letters, digits, '.', '_', '-' (not dots only)");
  const bucket = requireString(event, "bucket", BUCKET_NAME, "an S3 bucket name");
  const specKey = requireString(event, "specKey", SPEC_KEY, "a ring spec key controller/<package>/<ring>.json");
  if (specKey.split("/").some((segment) => segment === "" || segment === "." || segment === "..")) {
    throw new InputError("specKey", specKey, "a key without empty, '.' or '..' segments");
  }
  return { step: step as ControllerStep, runId, bucket, specKey };
}

/** The partition of the Region the controller runs in (the Lambda runtime sets AWS_REGION). */
function partition(): string {
  return partitionOf(process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1");
}

function sessionNameOf(runId: string): string {
  return `aft-fleet-${runId}`.slice(0, 64);
}

function result(status: ControllerResult["status"], runId: string, message: string): ControllerResult {
  return { status, runId, message };
}

function foreignLease(ledger: RingLedger, runId: string, now: Date): RingLedger["lease"] | undefined {
  const lease = ledger.lease;
  if (lease === undefined || lease.runId === runId) return undefined;
  return Date.parse(lease.expiresAt) > now.getTime() ? lease : undefined;
}

function withoutLease(ledger: RingLedger): RingLedger {
  const { lease: _lease, ...rest } = ledger;
  return rest;
}

function withLease(ledger: RingLedger, runId: string, now: Date): RingLedger {
  return { ...ledger, lease: { runId, expiresAt: new Date(now.getTime() + LEASE_MS).toISOString() } };
}

function withoutError(pair: PairRecord): PairRecord {
  const { error: _error, ...rest } = pair;
  return rest;
}

function setPair(ledger: RingLedger, key: string, pair: PairRecord): RingLedger {
  return { ...ledger, pairs: { ...ledger.pairs, [key]: pair } };
}

function countsLine(summary: RunSummary): string {
  return Object.entries(summary.counts)
    .map(([status, n]) => `${status} ${n}`)
    .join(", ");
}

/** Alarms among `names` in ALARM (DescribeAlarms by AlarmNames, at most 100 a call). */
export async function alarmsInAlarm(cloudwatch: CloudWatchClient, names: readonly string[], backoff?: BackoffOptions): Promise<Set<string>> {
  const firing = new Set<string>();
  const unique = [...new Set(names)].sort();
  for (const batch of chunk(unique, 100)) {
    let token: string | undefined;
    do {
      const next = token;
      const page = await withBackoff(
        () =>
          cloudwatch.send(
            new DescribeAlarmsCommand({ AlarmNames: batch, AlarmTypes: ["MetricAlarm", "CompositeAlarm"], StateValue: "ALARM", ...(next ? { NextToken: next } : {}) }),
          ),
        backoff,
      );
      for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        if (alarm.AlarmName && alarm.StateValue === "ALARM") firing.add(alarm.AlarmName);
      }
      token = page.NextToken || undefined;
    } while (token);
  }
  return firing;
}

function leaseHeldMessage(lease: NonNullable<RingLedger["lease"]>): string {
  return `ring is leased by run ${lease.runId} until ${lease.expiresAt}; this run does nothing`;
}

class Run {
  readonly store: Store;
  private spec?: AnyRingSpec;

  constructor(
    readonly event: ControllerEvent,
    readonly deps: ControllerDeps,
    readonly now: Date,
    readonly context?: LambdaContext,
  ) {
    this.store = new Store(deps.s3, event.bucket, deps.backoff);
  }

  async loadSpec(): Promise<AnyRingSpec> {
    this.spec ??= await this.store.readSpec(this.event.specKey);
    return this.spec;
  }

  private remaining(): number {
    return this.context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
  }

  /** Writes a final summary saying another run holds the ring. */
  private async leaseHeld(spec: RingSpecCore, ledger: RingLedger, lease: NonNullable<RingLedger["lease"]>): Promise<ControllerResult> {
    const message = leaseHeldMessage(lease);
    const gate: GateDecision = ledger.ringVersion === undefined ? { kind: "hold", blockedBy: message } : { kind: "hold", wanted: ledger.ringVersion, blockedBy: message };
    await this.store.writeSummary(buildSummary(this.event.runId, spec, ledger, [], gate, true));
    return result("Done", this.event.runId, message);
  }

  /** Saves conditionally; on a lost race, re-reads: another run's live lease ends this run, else the conflict is thrown. */
  private async save(spec: RingSpecCore, ledger: RingLedger, etag: string | undefined): Promise<{ etag?: string; held?: ControllerResult }> {
    try {
      const next = await this.store.writeLedger(ledger, etag);
      return next === undefined ? {} : { etag: next };
    } catch (error) {
      if (!(error instanceof LedgerConflictError)) throw error;
      const fresh = await this.store.readLedger(spec.package, spec.ring);
      const lease = foreignLease(fresh.ledger, this.event.runId, this.now);
      if (lease !== undefined) return { held: await this.leaseHeld(spec, fresh.ledger, lease) };
      throw error;
    }
  }

  async plan(): Promise<ControllerResult> {
    const { runId } = this.event;
    const spec = await this.loadSpec();
    const stored: StoredLedger = await this.store.readLedger(spec.package, spec.ring);
    const held = foreignLease(stored.ledger, runId, this.now);
    if (held !== undefined) return this.leaseHeld(spec, stored.ledger, held);
    const previous = spec.previous ? (await this.store.readLedger(spec.package, spec.previous.name)).ledger : undefined;
    const alarms = await alarmsInAlarm(this.deps.cloudwatch, [...spec.alarms, ...(spec.previous?.alarms ?? [])], this.deps.backoff);
    const org = await loadOrgSnapshot(this.deps.organizations, spec, this.deps.backoff);
    const targets = resolveTargets(spec, org);
    const planned = planRun(spec, stored.ledger, previous, targets, alarms, this.now);

    if (planned.work.length === 0) {
      // Nothing to do: save only what the diff changed (no lease), then the final summary.
      const ledger = stored.ledger.lease?.runId === runId ? withoutLease(planned.ledger) : planned.ledger;
      if (JSON.stringify(ledger) !== JSON.stringify(stored.ledger)) {
        const saved = await this.save(spec, ledger, stored.etag);
        if (saved.held) return saved.held;
      }
      const summary = buildSummary(runId, spec, ledger, [], planned.gate, true, { alarmsInAlarm: alarms, skipped: targets.skipped });
      await this.store.writeSummary(summary);
      return result("Done", runId, `nothing to do for ${spec.package}/${spec.ring}${summary.gate ? ` (${summary.gate})` : ""}: ${countsLine(summary)}`);
    }

    const saved = await this.save(spec, withLease(planned.ledger, runId, this.now), stored.etag);
    if (saved.held) return saved.held;
    const plan: RunPlan = {
      runId,
      work: planned.work,
      gate: planned.gate,
      ...(planned.halted !== undefined ? { halted: planned.halted } : {}),
      skipped: targets.skipped,
    };
    await this.store.writePlan(plan);
    return result("Continue", runId, `${planned.work.length} pairs to work on for ${spec.package}/${spec.ring} at ${planned.gate.wanted ?? "no version"}`);
  }

  private memberSsm(account: string, region: string): Promise<SSMClient> {
    if (this.deps.memberSsm) return this.deps.memberSsm(account, region, this.event.runId);
    return memberSsm(
      this.deps.sts,
      { account, partition: partition(), roleName: EXECUTION_ROLE_NAME, sessionName: sessionNameOf(this.event.runId) },
      region,
      { cache: this.deps.credentialCache ?? defaultCredentialCache, ...(this.deps.backoff ? { backoff: this.deps.backoff } : {}) },
    );
  }

  private async imageClients(account: string, region: string): Promise<ImageClients> {
    if (this.deps.memberImageClients) return this.deps.memberImageClients(account, region, this.event.runId);
    const credentials = await assumeMember(
      this.deps.sts,
      { account, partition: partition(), roleName: EXECUTION_ROLE_NAME, sessionName: sessionNameOf(this.event.runId) },
      { cache: this.deps.credentialCache ?? defaultCredentialCache, ...(this.deps.backoff ? { backoff: this.deps.backoff } : {}) },
    );
    return memberImageClients(credentials, region);
  }

  /** The pair after its groups moved on: Pending (undefined on read-back when nothing changed), Succeeded or Failed. */
  private imagePair(pair: PairRecord, groups: PairRecord["groups"] & object, attempts: number): PairRecord {
    const outcome = imagePairOutcome(groups);
    const { note: _note, ...rest } = withoutError(pair);
    const at = this.now.toISOString();
    if (outcome.status === "Pending") return { ...rest, status: "Pending", attempts, groups, updatedAt: at };
    if (outcome.status === "Succeeded") {
      return { ...rest, status: "Succeeded", attempts, groups, ...(outcome.note ? { note: outcome.note } : {}), ...(pair.wanted !== undefined ? { applied: pair.wanted } : {}), updatedAt: at };
    }
    return { ...rest, status: "Failed", attempts, groups, error: outcome.error!, updatedAt: at };
  }

  /** Auto Scaling images: find the groups and start an image automation per group. */
  private async startImages(spec: AsgImageRingSpec, pair: PairRecord): Promise<PairRecord> {
    const attempts = pair.attempts + 1;
    try {
      const clients = await this.imageClients(pair.account, pair.region);
      // attempts > 0: a retry at the same campaign (plan resets attempts when `wanted` changes).
      const done = new Map(pair.attempts > 0 ? (pair.groups ?? []).filter((g) => g.phase === "Succeeded").map((g) => [g.group, g] as const) : []);
      const groups = await startImageGroups(clients, spec.image, { account: pair.account, partition: partition() }, this.backoffDeps(), done);
      return this.imagePair(pair, groups, attempts);
    } catch (error) {
      return this.failure(pair, error, attempts);
    }
  }

  private async readBackImages(spec: AsgImageRingSpec, pair: PairRecord): Promise<PairRecord | undefined> {
    if (pair.groups === undefined) return { ...pair, status: "NotStarted", updatedAt: this.now.toISOString() };
    try {
      const clients = await this.imageClients(pair.account, pair.region);
      const groups = [];
      for (const step of pair.groups) groups.push(await advanceImageGroup(clients, spec.image, step, this.backoffDeps()));
      if (JSON.stringify(groups) === JSON.stringify(pair.groups)) return undefined;
      return this.imagePair(pair, groups, pair.attempts);
    } catch (error) {
      return this.failure(pair, error, pair.attempts);
    }
  }

  private failure(pair: PairRecord, caught: unknown, attempts: number): PairRecord {
    const at = this.now.toISOString();
    const error = classifyPairError(caught, EXECUTION_ROLE_NAME);
    if (error instanceof NotReadyError) return { ...pair, status: "NotReady", error: error.message, attempts, updatedAt: at };
    return { ...pair, status: "Failed", error: describeError(error), attempts, updatedAt: at };
  }

  private backoffDeps(): { backoff?: BackoffOptions } {
    return this.deps.backoff ? { backoff: this.deps.backoff } : {};
  }

  /** Reads back a Pending pair by the ring's kind (undefined: still in flight). */
  private readBack(spec: AnyRingSpec, pair: PairRecord): Promise<PairRecord | undefined> {
    if (spec.kind === "emergency-patch") return this.readBackCommand(pair);
    if (spec.kind === "inventory-sync") return Promise.resolve({ ...pair, status: "NotStarted", updatedAt: this.now.toISOString() });
    if (spec.kind === "asg-image") return this.readBackImages(spec, pair);
    return this.readBackAssociation(pair);
  }

  private async readBackCommand(pair: PairRecord): Promise<PairRecord | undefined> {
    const at = this.now.toISOString();
    if (pair.commandId === undefined) return { ...pair, status: "NotStarted", updatedAt: at };
    try {
      const ssm = await this.memberSsm(pair.account, pair.region);
      const status = await readCommandStatus(ssm, pair.commandId, this.backoffDeps());
      if (status.status === "Pending") return undefined;
      if (status.status === "Succeeded") {
        return { ...withoutError(pair), status: "Succeeded", ...(pair.wanted !== undefined ? { applied: pair.wanted } : {}), updatedAt: at };
      }
      return { ...pair, status: "Failed", error: status.detail, updatedAt: at };
    } catch (error) {
      return this.failure(pair, error, pair.attempts);
    }
  }

  private async readBackAssociation(pair: PairRecord): Promise<PairRecord | undefined> {
    const at = this.now.toISOString();
    if (pair.associationId === undefined || pair.associationVersion === undefined) {
      // The document version was still being processed: start the pair again.
      return { ...pair, status: "NotStarted", updatedAt: at };
    }
    try {
      const ssm = await this.memberSsm(pair.account, pair.region);
      const status = await readAssociationStatus(ssm, pair.associationId, pair.associationVersion, this.deps.backoff ? { backoff: this.deps.backoff } : {});
      if (status.status === "Pending") return undefined;
      if (status.status === "Succeeded") {
        return { ...withoutError(pair), status: "Succeeded", ...(pair.wanted !== undefined ? { applied: pair.wanted } : {}), updatedAt: at };
      }
      return { ...pair, status: "Failed", error: status.detail, updatedAt: at };
    } catch (error) {
      return this.failure(pair, error, pair.attempts);
    }
  }

  /** Starts a pair by the ring's kind. */
  private startPair(spec: AnyRingSpec, pair: PairRecord, manifests: Map<string, Promise<string | undefined>>): Promise<PairRecord> {
    if (spec.kind === "emergency-patch") return this.startCommand(spec, pair);
    if (spec.kind === "inventory-sync") return this.startSync(spec, pair);
    if (spec.kind === "asg-image") return this.startImages(spec, pair);
    return this.startPackage(spec, pair, manifests);
  }

  /** Emergency patching: SendCommand AWS-RunPatchBaseline; Pending with the CommandId until ListCommands says it ended. */
  private async startCommand(spec: EmergencyPatchRingSpec, pair: PairRecord): Promise<PairRecord> {
    const attempts = pair.attempts + 1;
    try {
      const ssm = await this.memberSsm(pair.account, pair.region);
      const commandId = await sendPatchCommand(ssm, spec.command, `aft-fleet emergency ${pair.wanted!} ring ${spec.ring}`, this.backoffDeps());
      return { ...withoutError(pair), status: "Pending", attempts, commandId, updatedAt: this.now.toISOString() };
    } catch (error) {
      return this.failure(pair, error, attempts);
    }
  }

  /** Inventory: make the resource data sync exist with the spec's destination; done at once (no read-back). */
  private async startSync(spec: InventorySyncRingSpec, pair: PairRecord): Promise<PairRecord> {
    const attempts = pair.attempts + 1;
    try {
      const ssm = await this.memberSsm(pair.account, pair.region);
      await ensureInventorySync(ssm, spec.sync, this.backoffDeps());
      return { ...withoutError(pair), status: "Succeeded", attempts, ...(pair.wanted !== undefined ? { applied: pair.wanted } : {}), updatedAt: this.now.toISOString() };
    } catch (error) {
      return this.failure(pair, error, attempts);
    }
  }

  private async startPackage(spec: RingSpec, pair: PairRecord, manifests: Map<string, Promise<string | undefined>>): Promise<PairRecord> {
    const version = pair.wanted!;
    const attempts = pair.attempts + 1;
    const at = this.now.toISOString();
    try {
      const ssm = await this.memberSsm(pair.account, pair.region);
      let manifest = manifests.get(version);
      if (manifest === undefined) {
        manifest = this.store.readManifest(spec.package, version);
        manifests.set(version, manifest);
      }
      const pollTimeoutMs = Math.max(0, Math.min(DOCUMENT_POLL_MAX_MS, this.remaining() - MIN_REMAINING_MS));
      const document = await ensurePackageVersion(
        ssm,
        {
          documentName: spec.package,
          versionName: version,
          manifest: await manifest,
          sourceUrl: sourceUrlOf(spec.store.bucket, spec.package, version),
          retention: spec.versionRetention,
          ...(pair.applied !== undefined && pair.applied !== version ? { keepVersionNames: [pair.applied] } : {}),
        },
        { pollTimeoutMs, ...(this.deps.backoff ? { backoff: this.deps.backoff } : {}), ...this.deps.pair },
      );
      const { associationId: _id, associationVersion: _v, ...rest } = withoutError(pair);
      if (document.state === "InProgress") {
        return { ...rest, status: "Pending", attempts, documentVersion: document.documentVersion, updatedAt: at };
      }
      const association = await ensureAssociation(ssm, { ...spec.association, documentName: spec.package, version }, this.deps.backoff ? { backoff: this.deps.backoff } : {});
      if (association.action === "unchanged" && (association.lastStatus === "Failed" || pair.error !== undefined)) {
        await startOnce(ssm, association.associationId, this.deps.backoff ? { backoff: this.deps.backoff } : {});
      }
      return {
        ...rest,
        status: "Pending",
        attempts,
        documentVersion: document.documentVersion,
        associationId: association.associationId,
        associationVersion: association.associationVersion,
        updatedAt: at,
      };
    } catch (error) {
      return this.failure(pair, error, attempts);
    }
  }

  async apply(): Promise<ControllerResult> {
    const { runId } = this.event;
    const spec = await this.loadSpec();
    const stored = await this.store.readLedger(spec.package, spec.ring);
    const held = foreignLease(stored.ledger, runId, this.now);
    if (held !== undefined) return result("Done", runId, leaseHeldMessage(held));
    const plan = await this.store.readPlan(runId);
    if (plan === undefined) throw new Error(`run ${runId} has no plan.json; run the plan step first`);

    // A killed or retried pass left journals: their pairs are finished, never repeat them.
    const journals = await this.store.readJournals(runId);
    let ledger = stored.ledger;
    for (const { journal } of journals) {
      for (const [key, record] of Object.entries(journal.pairs)) {
        const current = ledger.pairs[key];
        if (current === undefined || Date.parse(record.updatedAt) >= Date.parse(current.updatedAt)) ledger = setPair(ledger, key, record);
      }
    }
    ledger = withLease(ledger, runId, this.now);
    const renewed = await this.save(spec, ledger, stored.etag);
    if (renewed.held) return renewed.held;
    let etag = renewed.etag;
    const pass = journals.reduce((max, { journal }) => Math.max(max, journal.pass), 0) + 1;

    const alarms = await alarmsInAlarm(this.deps.cloudwatch, spec.alarms, this.deps.backoff);
    const journalPairs: Record<string, PairRecord> = {};
    const record = async (key: string, pair: PairRecord): Promise<void> => {
      ledger = setPair(ledger, key, pair);
      journalPairs[key] = pair;
      await this.store.writeJournal({ runId, pass, pairs: journalPairs });
    };
    let stoppedEarly = false;

    for (const key of plan.work) {
      const pair = ledger.pairs[key];
      if (pair?.status !== "Pending") continue;
      if (this.remaining() < MIN_REMAINING_MS) {
        stoppedEarly = true;
        break;
      }
      const next = await this.readBack(spec, pair);
      if (next !== undefined) await record(key, next);
    }

    const manifests = new Map<string, Promise<string | undefined>>();
    while (!stoppedEarly) {
      const [key] = nextStarts(ledger, plan.work, spec, alarms);
      if (key === undefined) break;
      if (this.remaining() < MIN_REMAINING_MS) {
        stoppedEarly = true;
        break;
      }
      await record(key, await this.startPair(spec, ledger.pairs[key]!, manifests));
    }

    ledger = recordReached(ledger, spec, this.now);
    const saved = await this.save(spec, ledger, etag);
    if (saved.held) return saved.held;
    etag = saved.etag;
    await this.store.writeSummary(buildSummary(runId, spec, ledger, plan.work, plan.gate, false, { alarmsInAlarm: alarms, skipped: plan.skipped }));
    for (const { key } of journals) await this.store.deleteObject(key);
    if (Object.keys(journalPairs).length > 0) await this.store.deleteObject(runObjectKey(runId, `progress-${pass}.json`));

    const pending = plan.work.filter((key) => ledger.pairs[key]?.status === "Pending").length;
    const toStart = nextStarts(ledger, plan.work, spec, alarms).length;
    const progress = ringProgress(ledger);
    const line = `${spec.package}/${spec.ring}: ${progress.succeeded} succeeded, ${progress.failed} failed, ${pending} in flight of ${progress.total}`;
    if (pending > 0 || toStart > 0 || stoppedEarly) return result("Continue", runId, line);
    return result("Done", runId, line);
  }

  async summarize(): Promise<ControllerResult> {
    const { runId } = this.event;
    const spec = await this.loadSpec();
    const stored = await this.store.readLedger(spec.package, spec.ring);
    const held = foreignLease(stored.ledger, runId, this.now);
    const plan = await this.store.readPlan(runId);
    // Another run owns the ring now: report this run, but leave the ring's ledger to its owner.
    let ledger = held === undefined ? recordReached(stored.ledger, spec, this.now) : stored.ledger;
    if (ledger.lease?.runId === runId) ledger = withoutLease(ledger);
    if (JSON.stringify(ledger) !== JSON.stringify(stored.ledger)) {
      const saved = await this.save(spec, ledger, stored.etag);
      if (saved.held) return saved.held;
    }
    const alarms = await alarmsInAlarm(this.deps.cloudwatch, spec.alarms, this.deps.backoff);
    const gate: GateDecision = plan?.gate ?? (ledger.ringVersion === undefined ? { kind: "hold", blockedBy: "no plan" } : { kind: "steady", wanted: ledger.ringVersion });
    const summary = buildSummary(runId, spec, ledger, plan?.work ?? [], gate, true, { alarmsInAlarm: alarms, skipped: plan?.skipped ?? [] });
    await this.store.writeSummary(summary);
    await withBackoff(
      () =>
        this.deps.cloudwatch.send(
          new PutMetricDataCommand({
            Namespace: METRIC_NAMESPACE,
            MetricData: [
              {
                MetricName: FAILED_TARGETS_METRIC,
                Dimensions: [
                  { Name: "Package", Value: spec.package },
                  { Name: "Ring", Value: spec.ring },
                ],
                Value: summary.counts.Failed,
                Unit: "Count",
                Timestamp: this.now,
              },
            ],
          }),
        ),
      this.deps.backoff,
    );
    return result("Done", runId, `${spec.package}/${spec.ring}${summary.version ? ` ${summary.version}` : ""}: ${countsLine(summary)}`);
  }
}

/** One runbook step; `deps` carries the SDK clients (tests inject them). */
export async function runStep(event: ControllerEvent, deps: ControllerDeps, now: Date = new Date(), context?: LambdaContext): Promise<ControllerResult> {
  const checked = validateEvent(event);
  const run = new Run(checked, deps, now, context);
  switch (checked.step) {
    case "plan":
      return run.plan();
    case "apply":
      return run.apply();
    case "summarize":
      return run.summarize();
  }
}

let defaults: ControllerDeps | undefined;

function defaultDeps(): ControllerDeps {
  defaults ??= {
    s3: new S3Client(s3ClientConfig()),
    organizations: new OrganizationsClient(clientConfig()),
    cloudwatch: new CloudWatchClient(clientConfig()),
    sts: centralStsClient(clientConfig().region),
  };
  return defaults;
}

/** Lambda entry point. */
export async function handler(event: unknown, context: LambdaContext): Promise<ControllerResult> {
  const checked = validateEvent(event);
  return runStep(checked, defaultDeps(), new Date(), context);
}
