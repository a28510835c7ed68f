/**
 * One run of a ring, step by step (the runbook calls plan, then apply until it ends, then summarize):
 *
 *   plan:      spec + ledger (+ a dead run's journals, + the previous ring's ledger) -> lease -> alarms
 *              -> targets -> planRun -> plan.json
 *   apply:     merge this run's journals -> renew the lease -> read back Pending pairs (pool) -> start the
 *              pass's start list (pool; journal in batches) -> record a halt -> save
 *   summarize: final summary, FailedTargets metric, release the lease
 *
 * The job of the ring's kind (jobs/) does the per-pair work; nothing here branches on the kind.
 */
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { OrganizationsClient } from "@aws-sdk/client-organizations";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { partitionOf } from "../../contract/partition";
import { EXECUTION_ROLE_NAME, type AnyRingSpec, type ControllerEvent, type ControllerResult, type PairRecord, type RingLedger, type RingSpecCore, type RunSummary } from "../../contract";
import { describeError } from "../shared/clients";
import type { LambdaContext } from "../shared/context";
import { DEFAULT_RATES, RateLimiter, rateLimited, type Rate, type Sender } from "../shared/rate-limit";
import type { BackoffOptions } from "../shared/retry";
import { alarmsInAlarm, putRingMetrics } from "./alarms";
import { freezeReason } from "./freeze";
import { jobOf, type PairContext } from "./jobs";
import { deadRun, foreignLease, LEASE_MS, leaseHeldMessage, mergeRecords, withLease, withoutLease } from "./lease";
import { publishEvents, ringEvents, type EventsSender } from "./notify";
import { loadOrgSnapshotCached } from "./org-cache";
import { CredentialCache, classifyPairError, NotReadyError, assumeMember, defaultCredentialCache, memberSsm, type PairDeps, type StsSender } from "./pair";
import { memberImageClients, type ImageClients } from "./job-asg-image";
import {
  PARTIAL_SUMMARY_OMITS,
  ProgressTally,
  buildSummary,
  haltReason,
  heldHalt,
  newHalt,
  nextStarts,
  planRun,
  recordReached,
  resolveTargets,
  type GateDecision,
} from "./plan";
import { MAX_PAIRS_IN_FLIGHT, runPool } from "./pool";
import { LedgerConflictError, Store, journalKey, type RunPlan, type StoredLedger } from "./store";

/** No new pair starts with less than this left in the invocation (the reserve for saving). */
const MIN_REMAINING_MS = 30_000;
/** Pair records per journal object. */
const JOURNAL_BATCH = 250;
/** A journal is also written when this much time passed since the last one (a kill loses at most this much). */
const JOURNAL_INTERVAL_MS = 10_000;
/** Journal objects deleted at once. */
const DELETE_CONCURRENCY = 16;

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
  /** Pairs in flight at once, at most MAX_PAIRS_IN_FLIGHT. @default MAX_PAIRS_IN_FLIGHT */
  readonly concurrency?: number;
  /** Pair records per journal object. @default JOURNAL_BATCH */
  readonly journalBatch?: number;
  /** EventBridge in the central account: ring events (contract/notifications.ts). None: no events are sent. */
  readonly events?: EventsSender;
  /** Client-side rates (shared/rate-limit.ts). @default DEFAULT_RATES */
  readonly rates?: Partial<Record<keyof typeof DEFAULT_RATES, Rate>>;
}

interface Limiters {
  readonly sts: RateLimiter;
  readonly organizations: RateLimiter;
  readonly ssm: RateLimiter;
}

/**
 * One set of rate limiters per dependency set: the Lambda's defaults live as long as its container, so
 * the rates hold across warm invocations. The limiters keep time with `deps.pair` (now, sleep) when given.
 */
const limiterSets = new WeakMap<ControllerDeps, Limiters>();

function limitersOf(deps: ControllerDeps): Limiters {
  let set = limiterSets.get(deps);
  if (set === undefined) {
    const clock = { ...(deps.pair?.now ? { now: deps.pair.now } : {}), ...(deps.pair?.sleep ? { sleep: deps.pair.sleep } : {}) };
    const rates = { ...DEFAULT_RATES, ...deps.rates };
    set = {
      sts: new RateLimiter({ ...rates.stsAssumeRole, ...clock }),
      organizations: new RateLimiter({ ...rates.organizations, ...clock }),
      ssm: new RateLimiter({ ...rates.ssmPerAccountRegion, ...clock }),
    };
    limiterSets.set(deps, set);
  }
  return set;
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

function countsLine(summary: RunSummary): string {
  return Object.entries(summary.counts)
    .map(([status, n]) => `${status} ${n}`)
    .join(", ");
}

async function inBatches<T>(items: readonly T[], size: number, each: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(each));
}

/**
 * The pass's pair records: the ledger's pairs in one mutable map (a record is O(1), never a copy of the
 * ring), the progress tally moved along with them, and the journal written in batches.
 */
class PassRecords {
  readonly pairs: Record<string, PairRecord>;
  readonly tally: ProgressTally;
  private buffer: Record<string, PairRecord> = {};
  private buffered = 0;
  private batch = 0;
  private lastWrite: number;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ledger: RingLedger,
    private readonly store: Store,
    private readonly runId: string,
    readonly pass: number,
    private readonly batchSize: number,
    private readonly elapsed: () => number,
  ) {
    this.pairs = { ...ledger.pairs };
    this.tally = ProgressTally.of(ledger);
    this.lastWrite = elapsed();
  }

  /** The ledger as recorded so far (shares the pair map; read it, do not keep it past the pass). */
  view(): RingLedger {
    return { ...this.ledger, pairs: this.pairs };
  }

  get written(): number {
    return this.batch;
  }

  async record(key: string, pair: PairRecord): Promise<void> {
    this.tally.replace(this.pairs[key], pair);
    this.pairs[key] = pair;
    this.buffer[key] = pair;
    this.buffered++;
    if (this.buffered >= this.batchSize || this.elapsed() - this.lastWrite >= JOURNAL_INTERVAL_MS) await this.flush();
  }

  /** Writes the buffered records as the pass's next journal object; one write at a time. */
  flush(): Promise<void> {
    if (this.buffered === 0) return this.writing;
    const pairs = this.buffer;
    const batch = this.batch++;
    this.buffer = {};
    this.buffered = 0;
    this.lastWrite = this.elapsed();
    this.writing = this.writing.then(() => this.store.writeJournal({ runId: this.runId, pass: this.pass, batch, pairs }));
    return this.writing;
  }
}

export class Run {
  readonly store: Store;
  private spec?: AnyRingSpec;
  private readonly started: number;
  private readonly manifests = new Map<string, Promise<string | undefined>>();

  constructor(
    readonly event: ControllerEvent,
    readonly deps: ControllerDeps,
    readonly now: Date,
    readonly context?: LambdaContext,
  ) {
    this.store = new Store(deps.s3, event.bucket, deps.backoff);
    this.started = this.remaining();
  }

  async loadSpec(): Promise<AnyRingSpec> {
    this.spec ??= await this.store.readSpec(this.event.specKey);
    return this.spec;
  }

  private remaining(): number {
    return this.context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
  }

  /** Milliseconds of this invocation used so far (0 without a Lambda context). */
  private elapsed(): number {
    const left = this.remaining();
    return Number.isFinite(left) && Number.isFinite(this.started) ? this.started - left : 0;
  }

  private backoff(): { backoff?: BackoffOptions } {
    return this.deps.backoff ? { backoff: this.deps.backoff } : {};
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

  /** Sends the events between two saved ledgers; an event EventBridge refuses is logged, never thrown. */
  private async notify(spec: RingSpecCore, before: RingLedger, after: RingLedger): Promise<void> {
    if (this.deps.events === undefined) return;
    const events = ringEvents(before, after, spec, this.event.runId);
    if (events.length === 0) return;
    const published = await publishEvents(this.deps.events, events, this.deps.backoff);
    if (published.failed.length > 0) console.warn(JSON.stringify({ message: "ring events not delivered", runId: this.event.runId, failed: published.failed }));
  }

  private async deleteKeys(keys: readonly string[]): Promise<void> {
    await inBatches(keys, DELETE_CONCURRENCY, (key) => this.store.deleteObject(key));
  }

  async plan(): Promise<ControllerResult> {
    const { runId } = this.event;
    const spec = await this.loadSpec();
    const stored: StoredLedger = await this.store.readLedger(spec.package, spec.ring);
    const held = foreignLease(stored.ledger, runId, this.now);
    if (held !== undefined) return this.leaseHeld(spec, stored.ledger, held);

    // A run whose lease expired (killed twice, or its execution failed) left journals: their pairs were
    // worked on, so they count (failures against the budget too) before anything is planned.
    let base = stored.ledger;
    const dead = deadRun(stored.ledger, runId, this.now);
    const deadJournals = dead === undefined ? [] : await this.store.readJournals(dead);
    for (const { journal } of deadJournals) base = mergeRecords(base, journal.pairs);
    if (dead !== undefined) base = withoutLease(base);

    const previous = spec.previous ? (await this.store.readLedger(spec.package, spec.previous.name)).ledger : undefined;
    const alarms = await alarmsInAlarm(this.deps.cloudwatch, [...spec.alarms, ...(spec.previous?.alarms ?? [])], this.deps.backoff);
    const limiters = limitersOf(this.deps);
    const organizations = rateLimited(this.deps.organizations, () => limiters.organizations.take("organizations"));
    // One walk of the organization per cycle, shared by every ring's plan through the store.
    const org = await loadOrgSnapshotCached(organizations, this.deps.s3, this.event.bucket, spec, this.now, this.backoff());
    const targets = resolveTargets(spec, org);
    const planned = planRun(spec, base, previous, targets, alarms, this.now);
    // A change freeze: nothing starts, pairs in flight are still read back.
    const frozen = freezeReason(spec, this.now);
    const work = frozen === undefined ? planned.work : planned.work.filter((key) => planned.ledger.pairs[key]?.status === "Pending");

    if (work.length === 0) {
      // Nothing to do: save only what the diff changed (no lease), then the final summary.
      const ledger = base.lease?.runId === runId ? withoutLease(planned.ledger) : planned.ledger;
      if (JSON.stringify(ledger) !== JSON.stringify(stored.ledger)) {
        const saved = await this.save(spec, ledger, stored.etag);
        if (saved.held) return saved.held;
        await this.notify(spec, stored.ledger, ledger);
      }
      await this.deleteKeys(deadJournals.map((j) => j.key));
      const summary = buildSummary(runId, spec, ledger, [], planned.gate, true, { alarmsInAlarm: alarms, skipped: targets.skipped, ...(frozen ? { frozen } : {}) });
      await this.store.writeSummary(summary);
      return result("Done", runId, `nothing to do for ${spec.package}/${spec.ring}${summary.gate ? ` (${summary.gate})` : ""}: ${countsLine(summary)}`);
    }

    const leased = withLease(planned.ledger, runId, this.now);
    const saved = await this.save(spec, leased, stored.etag);
    if (saved.held) return saved.held;
    await this.notify(spec, stored.ledger, leased);
    await this.deleteKeys(deadJournals.map((j) => j.key));
    const plan: RunPlan = {
      runId,
      work,
      gate: planned.gate,
      ...(planned.halted !== undefined ? { halted: planned.halted } : {}),
      skipped: targets.skipped,
    };
    await this.store.writePlan(plan);
    return result("Continue", runId, `${work.length} pairs to work on for ${spec.package}/${spec.ring} at ${planned.gate.wanted ?? "no version"}`);
  }

  /** What jobs may use: member clients, the manifest cache, the failure rule. */
  private pairContext(): PairContext {
    const cache = this.deps.credentialCache ?? defaultCredentialCache;
    const limiters = limitersOf(this.deps);
    const sts = rateLimited(this.deps.sts, () => limiters.sts.take("sts"));
    const limitSsm = <C extends Sender>(client: C, account: string, region: string): C => rateLimited(client, () => limiters.ssm.take(`${account}:${region}`));
    const target = (account: string) => ({ account, partition: partition(), roleName: EXECUTION_ROLE_NAME, sessionName: sessionNameOf(this.event.runId) });
    return {
      now: this.now,
      partition: partition(),
      backoff: this.backoff(),
      pair: { ...this.backoff(), ...this.deps.pair },
      memberSsm: async (account, region) => {
        const client = this.deps.memberSsm
          ? await this.deps.memberSsm(account, region, this.event.runId)
          : await memberSsm(sts, target(account), region, { cache, ...this.backoff() });
        return limitSsm(client, account, region);
      },
      imageClients: async (account, region) => {
        const clients = this.deps.memberImageClients
          ? await this.deps.memberImageClients(account, region, this.event.runId)
          : memberImageClients(await assumeMember(sts, target(account), { cache, ...this.backoff() }), region);
        return { ...clients, ssm: limitSsm(clients.ssm, account, region) };
      },
      manifest: (packageName, version) => {
        let manifest = this.manifests.get(version);
        if (manifest === undefined) {
          manifest = this.store.readManifest(packageName, version);
          this.manifests.set(version, manifest);
        }
        return manifest;
      },
      failure: (pair, caught, attempts) => {
        const at = this.now.toISOString();
        const error = classifyPairError(caught, EXECUTION_ROLE_NAME);
        if (error instanceof NotReadyError) return { ...pair, status: "NotReady", error: error.message, attempts, updatedAt: at };
        return { ...pair, status: "Failed", error: describeError(error), attempts, updatedAt: at };
      },
    };
  }

  async apply(): Promise<ControllerResult> {
    const { runId } = this.event;
    const spec = await this.loadSpec();
    const job = jobOf(spec);
    const stored = await this.store.readLedger(spec.package, spec.ring);
    const held = foreignLease(stored.ledger, runId, this.now);
    if (held !== undefined) return result("Done", runId, leaseHeldMessage(held));
    const plan = await this.store.readPlan(runId);
    if (plan === undefined) throw new Error(`run ${runId} has no plan.json; run the plan step first`);

    // A killed or retried pass left journals: their pairs were worked on, never repeat them.
    const journals = await this.store.readJournals(runId);
    let ledger = stored.ledger;
    for (const { journal } of journals) ledger = mergeRecords(ledger, journal.pairs);
    const pass = journals.reduce((max, { journal }) => Math.max(max, journal.pass), 0) + 1;
    // Renew the lease when journals were merged or less than half of it is left; else one write per pass.
    let etag = stored.etag;
    const leaseLeft = ledger.lease?.runId === runId ? Date.parse(ledger.lease.expiresAt) - this.now.getTime() : 0;
    if (journals.length > 0 || leaseLeft < LEASE_MS / 2) {
      ledger = withLease(ledger, runId, this.now);
      const renewed = await this.save(spec, ledger, etag);
      if (renewed.held) return renewed.held;
      etag = renewed.etag;
    }

    const alarms = await alarmsInAlarm(this.deps.cloudwatch, spec.alarms, this.deps.backoff);
    const records = new PassRecords(ledger, this.store, runId, pass, this.deps.journalBatch ?? JOURNAL_BATCH, () => this.elapsed());
    const ctx = this.pairContext();
    const concurrency = Math.min(this.deps.concurrency ?? MAX_PAIRS_IN_FLIGHT, MAX_PAIRS_IN_FLIGHT);
    const timeLeft = (): boolean => this.remaining() >= MIN_REMAINING_MS;

    // 1. Read back the pairs in flight.
    const inFlight = plan.work.filter((key) => records.pairs[key]?.status === "Pending");
    const readBack = await runPool(
      inFlight,
      async (key) => {
        const next = await job.readBack(ctx, spec, records.pairs[key]!);
        if (next !== undefined) await records.record(key, next);
      },
      { concurrency, mayStart: timeLeft },
    );

    // 2. Start what the ring's gates allow, computed once for the pass; stop at the deadline or the error budget.
    // A change freeze that began during the run stops new starts too.
    const frozen = freezeReason(spec, this.now);
    let stoppedEarly = readBack.stopped;
    if (!stoppedEarly && frozen === undefined) {
      const starts = nextStarts(records.view(), plan.work, spec, alarms);
      const started = await runPool(
        starts,
        async (key) => records.record(key, await job.start(ctx, spec, records.pairs[key]!)),
        { concurrency, mayStart: () => timeLeft() && haltReason(ledger, spec, records.tally.progress()) === undefined },
      );
      // Stopped by the deadline (not by the error budget): the next pass goes on.
      stoppedEarly = started.stopped && haltReason(ledger, spec, records.tally.progress()) === undefined;
    }
    await records.flush();

    ledger = recordReached(records.view(), spec, this.now);
    const halting = haltReason(ledger, spec, records.tally.progress());
    const halt = halting === undefined ? undefined : newHalt(ledger, spec, halting, this.now);
    if (halt !== undefined) ledger = { ...ledger, halt };
    const saved = await this.save(spec, ledger, etag);
    if (saved.held) return saved.held;
    await this.notify(spec, stored.ledger, ledger);
    const summary = buildSummary(runId, spec, ledger, plan.work, plan.gate, false, { alarmsInAlarm: alarms, skipped: plan.skipped, omit: PARTIAL_SUMMARY_OMITS, ...(frozen ? { frozen } : {}) });
    await this.store.writeSummary(summary);
    await putRingMetrics(this.deps.cloudwatch, spec, { counts: summary.counts, held: heldHalt(ledger, spec) !== undefined, final: false }, this.now, this.deps.backoff);
    const written = Array.from({ length: records.written }, (_, batch) => journalKey(runId, pass, batch));
    await this.deleteKeys([...journals.map(({ key }) => key), ...written]);

    const progress = records.tally.progress();
    const toStart = frozen === undefined ? nextStarts(ledger, plan.work, spec, alarms).length : 0;
    const holding = heldHalt(ledger, spec);
    const line = `${spec.package}/${spec.ring}: ${progress.succeeded} succeeded, ${progress.failed} failed, ${progress.pending} in flight of ${progress.total}${holding ? " (held at its error budget)" : ""}`;
    if (progress.pending > 0 || toStart > 0 || stoppedEarly) return result("Continue", runId, line);
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
      await this.notify(spec, stored.ledger, ledger);
    }
    const alarms = await alarmsInAlarm(this.deps.cloudwatch, spec.alarms, this.deps.backoff);
    const gate: GateDecision = plan?.gate ?? (ledger.ringVersion === undefined ? { kind: "hold", blockedBy: "no plan" } : { kind: "steady", wanted: ledger.ringVersion });
    const frozen = freezeReason(spec, this.now);
    const summary = buildSummary(runId, spec, ledger, plan?.work ?? [], gate, true, { alarmsInAlarm: alarms, skipped: plan?.skipped ?? [], ...(frozen ? { frozen } : {}) });
    await this.store.writeSummary(summary);
    await putRingMetrics(this.deps.cloudwatch, spec, { counts: summary.counts, held: heldHalt(ledger, spec) !== undefined, final: true }, this.now, this.deps.backoff);
    return result("Done", runId, `${spec.package}/${spec.ring}${summary.version ? ` ${summary.version}` : ""}: ${countsLine(summary)}`);
  }
}
