/**
 * In-process fakes of the AWS services the controller calls, shaped like SDK clients (`send(command)`,
 * dispatching on `command.constructor.name` and reading `command.input`). Every call waits a per-call latency
 * on the virtual clock, is counted, and is throttled past the rates in limits.ts. Each fake refuses what the
 * service's API reference says it refuses (sources beside each rule); what AWS does not document is
 * accepted and noted.
 */
import {
  ASSOCIATION_NAME,
  MAX_CONCURRENCY,
  MAX_ERRORS,
  scheduleProblem,
} from "../../contract";
import type { VirtualClock } from "./clock";
import {
  DESCRIBE_ALARMS_NAMES_MAX,
  GET_PARAMETERS_MAX,
  LIST_OBJECTS_MAX,
  MAX_DOCUMENT_VERSIONS,
  ORGANIZATIONS_PAGE_MAX,
  PUT_METRIC_DATA_MAX,
  RATE_LIMITS,
  SSM_LIST_MAX,
  START_ONCE_MAX,
  TokenBucket,
  type RateLimit,
} from "./limits";

type Input = Record<string, any>;
type Command = { constructor: { name: string }; input: Input };
type Handler = (input: Input) => unknown;

/** Deterministic PRNG (mulberry32) so a scenario gives the same figures every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An error shaped as the SDK throws service exceptions (name, $fault, $metadata.httpStatusCode). */
function awsError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, Code: name, $fault: httpStatusCode >= 500 ? "server" : "client", $metadata: { httpStatusCode } });
}

/** Calls, throttles and bytes, per service and API; `invocation` is reset by the driver per Lambda call. */
export class Meter {
  readonly calls = new Map<string, Map<string, number>>();
  readonly throttled = new Map<string, number>();
  s3BytesWritten = 0;
  invocation = { s3BytesWritten: 0, calls: 0 };

  count(service: string, api: string): void {
    let byApi = this.calls.get(service);
    if (byApi === undefined) this.calls.set(service, (byApi = new Map()));
    byApi.set(api, (byApi.get(api) ?? 0) + 1);
    this.invocation.calls++;
  }

  throttle(service: string): void {
    this.throttled.set(service, (this.throttled.get(service) ?? 0) + 1);
  }

  total(service: string): number {
    let n = 0;
    for (const v of this.calls.get(service)?.values() ?? []) n += v;
    return n;
  }

  snapshot(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [service, byApi] of [...this.calls.entries()].sort()) out[service] = Object.fromEntries([...byApi.entries()].sort());
    return out;
  }
}

export interface FakeContext {
  readonly clock: VirtualClock;
  readonly meter: Meter;
  readonly random: () => number;
  /** Per-call latency range in ms. */
  readonly latencyMs: readonly [number, number];
}

/** The common path of every fake call: count, wait the latency, check the rate, answer. */
abstract class FakeService {
  protected abstract readonly service: string;
  protected abstract readonly handlers: Record<string, Handler>;

  constructor(protected readonly ctx: FakeContext) {}

  /** The rate bucket a call is judged by, and the error name it is refused with; undefined: no limit. */
  protected abstract limitOf(api: string, input: Input): { bucket: TokenBucket; error: string; status?: number } | undefined;

  async send(command: Command): Promise<any> {
    const api = command.constructor.name.replace(/Command$/, "");
    const input = command.input ?? {};
    const { clock, meter, random, latencyMs } = this.ctx;
    meter.count(this.service, api);
    await clock.sleep(latencyMs[0] + random() * (latencyMs[1] - latencyMs[0]));
    const limit = this.limitOf(api, input);
    if (limit !== undefined && !limit.bucket.take(clock.now())) {
      meter.throttle(this.service);
      throw awsError(limit.error, "Rate exceeded", limit.status ?? 400);
    }
    const handler = this.handlers[api];
    if (handler === undefined) throw new Error(`fake ${this.service}: ${api} is not implemented`);
    return handler(input);
  }
}

function bucketFor(map: Map<string, TokenBucket>, key: string, limit: RateLimit, now: number): TokenBucket {
  let bucket = map.get(key);
  if (bucket === undefined) map.set(key, (bucket = new TokenBucket(limit, now)));
  return bucket;
}

function checkMax(input: Input, max: number, error = "ValidationException"): number {
  if (input.MaxResults === undefined) return max;
  const n = Number(input.MaxResults);
  if (!Number.isInteger(n) || n < 1 || n > max) throw awsError(error, `MaxResults ${String(input.MaxResults)} must be 1-${max}`);
  return n;
}

function paged<T>(items: readonly T[], input: Input, size: number, tokenField = "NextToken"): { items: T[]; next?: string } {
  const start = input[tokenField] === undefined ? 0 : Number(input[tokenField]);
  if (!Number.isInteger(start) || start < 0 || start > items.length) throw awsError("InvalidNextToken", "The specified token isn't valid.");
  const slice = items.slice(start, start + size);
  return start + size < items.length ? { items: slice, next: String(start + size) } : { items: slice };
}

// ---------------------------------------------------------------------------------------------- S3

interface S3Object {
  body: string;
  etag: string;
}

/**
 * One bucket. GetObject of a missing key: 404 NoSuchKey (the controller role holds s3:ListBucket, S3 API
 * Reference, GetObject). PutObject `IfNoneMatch: "*"` on an existing key and `IfMatch` with another ETag:
 * 412 PreconditionFailed; `IfMatch` on a missing key: 404 NoSuchKey (S3 API Reference, PutObject, and S3 User
 * Guide, "Conditional writes"). ListObjectsV2: MaxKeys at most 1,000, keys in UTF-8 binary order.
 */
export class FakeS3 extends FakeService {
  protected readonly service = "S3";
  readonly objects = new Map<string, S3Object>();
  private etags = 0;
  private readonly reads: TokenBucket;
  private readonly writes: TokenBucket;

  constructor(
    ctx: FakeContext,
    readonly bucket: string,
  ) {
    super(ctx);
    this.reads = new TokenBucket(RATE_LIMITS.s3Read, ctx.clock.now());
    this.writes = new TokenBucket(RATE_LIMITS.s3Write, ctx.clock.now());
  }

  protected limitOf(api: string): { bucket: TokenBucket; error: string; status: number } {
    return { bucket: api === "GetObject" || api === "ListObjectsV2" ? this.reads : this.writes, error: "SlowDown", status: 503 };
  }

  /** Writes outside the controller (Terraform's uploads), not counted. */
  seed(key: string, body: string): void {
    this.objects.set(key, { body, etag: `"seed-${++this.etags}"` });
  }

  text(key: string): string | undefined {
    return this.objects.get(key)?.body;
  }

  private checkBucket(input: Input): void {
    if (input.Bucket !== this.bucket) throw awsError("NoSuchBucket", `The specified bucket does not exist: ${String(input.Bucket)}`, 404);
  }

  protected readonly handlers: Record<string, Handler> = {
    GetObject: (input) => {
      this.checkBucket(input);
      const object = this.objects.get(String(input.Key));
      if (object === undefined) throw awsError("NoSuchKey", "The specified key does not exist.", 404);
      const body = object.body;
      return { Body: { transformToString: async () => body }, ETag: object.etag, ContentLength: Buffer.byteLength(body) };
    },
    PutObject: (input) => {
      this.checkBucket(input);
      const key = String(input.Key);
      const current = this.objects.get(key);
      if (input.IfNoneMatch !== undefined) {
        if (input.IfNoneMatch !== "*") throw awsError("NotImplemented", "If-None-Match accepts only *", 501);
        if (current !== undefined) throw awsError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412);
      }
      if (input.IfMatch !== undefined) {
        if (current === undefined) throw awsError("NoSuchKey", "The specified key does not exist.", 404);
        if (current.etag !== input.IfMatch) throw awsError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412);
      }
      const body = typeof input.Body === "string" ? input.Body : Buffer.from(input.Body as Uint8Array).toString("utf8");
      const bytes = Buffer.byteLength(body);
      this.ctx.meter.s3BytesWritten += bytes;
      this.ctx.meter.invocation.s3BytesWritten += bytes;
      const etag = `"${(++this.etags).toString(16).padStart(32, "0")}"`;
      this.objects.set(key, { body, etag });
      return { ETag: etag };
    },
    DeleteObject: (input) => {
      this.checkBucket(input);
      this.objects.delete(String(input.Key));
      return {};
    },
    ListObjectsV2: (input) => {
      this.checkBucket(input);
      const prefix = String(input.Prefix ?? "");
      const maxKeys = input.MaxKeys === undefined ? LIST_OBJECTS_MAX : Math.min(LIST_OBJECTS_MAX, Number(input.MaxKeys));
      const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const { items, next } = paged(keys, input, Math.max(1, maxKeys), "ContinuationToken");
      return {
        Contents: items.map((Key) => ({ Key, Size: Buffer.byteLength(this.objects.get(Key)!.body), ETag: this.objects.get(Key)!.etag })),
        KeyCount: items.length,
        IsTruncated: next !== undefined,
        ...(next !== undefined ? { NextContinuationToken: next } : {}),
      };
    },
  };
}

// ------------------------------------------------------------------------------------ Organizations

export interface OrgTree {
  readonly rootId: string;
  /** OU id -> parent id. */
  readonly ous: ReadonlyMap<string, string>;
  /** Account id -> parent id (all ACTIVE). */
  readonly accounts: ReadonlyMap<string, string>;
}

/**
 * ListOrganizationalUnitsForParent / ListAccountsForParent: MaxResults 1-20, pages of 20 (Organizations API
 * Reference, both actions: "MaxResults ... Valid Range: Minimum value of 1. Maximum value of 20"); an unknown
 * parent: ParentNotFoundException. DescribeAccount of an unknown id: AccountNotFoundException.
 */
export class FakeOrganizations extends FakeService {
  protected readonly service = "Organizations";
  private readonly bucket: TokenBucket;
  private readonly childOus = new Map<string, string[]>();
  private readonly childAccounts = new Map<string, string[]>();

  constructor(
    ctx: FakeContext,
    readonly tree: OrgTree,
  ) {
    super(ctx);
    this.bucket = new TokenBucket(RATE_LIMITS.organizations, ctx.clock.now());
    for (const id of [tree.rootId, ...tree.ous.keys()]) {
      this.childOus.set(id, []);
      this.childAccounts.set(id, []);
    }
    for (const [ou, parent] of tree.ous) this.childOus.get(parent)!.push(ou);
    for (const [account, parent] of tree.accounts) this.childAccounts.get(parent)!.push(account);
  }

  protected limitOf(): { bucket: TokenBucket; error: string } {
    return { bucket: this.bucket, error: "TooManyRequestsException" };
  }

  private parent(input: Input): string {
    const id = String(input.ParentId);
    if (!this.childOus.has(id)) throw awsError("ParentNotFoundException", `We can't find a root or OU with the ParentId that you specified: ${id}`);
    return id;
  }

  private account(id: string): Record<string, unknown> {
    return { Id: id, Arn: `arn:aws:organizations::100000000000:account/o-bench/${id}`, Name: `member-${id}`, Email: `${id}@example.com`, State: "ACTIVE", Status: "ACTIVE" };
  }

  protected readonly handlers: Record<string, Handler> = {
    ListOrganizationalUnitsForParent: (input) => {
      const size = checkMax(input, ORGANIZATIONS_PAGE_MAX, "InvalidInputException");
      const { items, next } = paged(this.childOus.get(this.parent(input))!, input, size);
      return { OrganizationalUnits: items.map((Id) => ({ Id, Name: Id, Arn: `arn:aws:organizations::100000000000:ou/o-bench/${Id}` })), ...(next ? { NextToken: next } : {}) };
    },
    ListAccountsForParent: (input) => {
      const size = checkMax(input, ORGANIZATIONS_PAGE_MAX, "InvalidInputException");
      const { items, next } = paged(this.childAccounts.get(this.parent(input))!, input, size);
      return { Accounts: items.map((id) => this.account(id)), ...(next ? { NextToken: next } : {}) };
    },
    DescribeAccount: (input) => {
      const id = String(input.AccountId);
      if (!this.tree.accounts.has(id) && id !== "100000000000") throw awsError("AccountNotFoundException", `We can't find an account with the AccountId that you specified: ${id}`);
      return { Account: this.account(id) };
    },
  };
}

// --------------------------------------------------------------------------------------- CloudWatch

/**
 * DescribeAlarms: AlarmNames at most 100 (CloudWatch API Reference, DescribeAlarms); answers the named alarms
 * in the asked StateValue. PutMetricData: at most 1,000 MetricData items, and no namespace starting "AWS/"
 * (CloudWatch API Reference, PutMetricData).
 */
export class FakeCloudWatch extends FakeService {
  protected readonly service = "CloudWatch";
  private readonly describe: TokenBucket;
  private readonly put: TokenBucket;
  readonly metrics: { name: string; value: number; at: number }[] = [];

  constructor(
    ctx: FakeContext,
    /** Alarm name -> state. */
    readonly alarms: Map<string, "OK" | "ALARM" | "INSUFFICIENT_DATA">,
  ) {
    super(ctx);
    this.describe = new TokenBucket(RATE_LIMITS.cloudwatchDescribeAlarms, ctx.clock.now());
    this.put = new TokenBucket(RATE_LIMITS.cloudwatchPutMetricData, ctx.clock.now());
  }

  protected limitOf(api: string): { bucket: TokenBucket; error: string } {
    return { bucket: api === "PutMetricData" ? this.put : this.describe, error: "Throttling" };
  }

  protected readonly handlers: Record<string, Handler> = {
    DescribeAlarms: (input) => {
      const names: string[] = input.AlarmNames ?? [...this.alarms.keys()];
      if (names.length > DESCRIBE_ALARMS_NAMES_MAX) throw awsError("ValidationError", `AlarmNames has ${names.length} items; at most ${DESCRIBE_ALARMS_NAMES_MAX}`);
      const found = names
        .filter((n) => this.alarms.has(n) && (input.StateValue === undefined || this.alarms.get(n) === input.StateValue))
        .map((AlarmName) => ({ AlarmName, StateValue: this.alarms.get(AlarmName) }));
      return { MetricAlarms: found, CompositeAlarms: [] };
    },
    PutMetricData: (input) => {
      const namespace = String(input.Namespace ?? "");
      if (namespace === "" || namespace.startsWith("AWS/")) throw awsError("InvalidParameterValue", `Namespace ${namespace} is not allowed`);
      const data: Input[] = input.MetricData ?? [];
      if (data.length < 1 || data.length > PUT_METRIC_DATA_MAX) throw awsError("InvalidParameterValue", `MetricData has ${data.length} items; 1-${PUT_METRIC_DATA_MAX} allowed`);
      for (const d of data) this.metrics.push({ name: String(d.MetricName), value: Number(d.Value), at: this.ctx.clock.now() });
      return {};
    },
  };
}

// ---------------------------------------------------------------------------------------------- STS

/**
 * AssumeRole: RoleSessionName 2-64 of [\w+=,.@-]; DurationSeconds 900-43200, and at most 3,600 when the
 * caller is itself a role session ("Role chaining limits your ... session to a maximum of one hour", IAM User
 * Guide, "Methods to assume a role"; AssumeRole API reference, DurationSeconds). The role must exist in a
 * member account (AccessDenied otherwise).
 */
export class FakeSts extends FakeService {
  protected readonly service = "STS";
  private readonly bucket: TokenBucket;
  private issued = 0;

  constructor(
    ctx: FakeContext,
    readonly roleExists: (account: string, roleName: string) => boolean,
  ) {
    super(ctx);
    this.bucket = new TokenBucket(RATE_LIMITS.stsAssumeRole, ctx.clock.now());
  }

  protected limitOf(): { bucket: TokenBucket; error: string } {
    return { bucket: this.bucket, error: "Throttling" };
  }

  protected readonly handlers: Record<string, Handler> = {
    AssumeRole: (input) => {
      const arn = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(.+)$/.exec(String(input.RoleArn ?? ""));
      if (!arn) throw awsError("ValidationError", `RoleArn ${String(input.RoleArn)} is not valid`);
      if (!/^[\w+=,.@-]{2,64}$/.test(String(input.RoleSessionName ?? ""))) throw awsError("ValidationError", "RoleSessionName must be 2-64 of [\\w+=,.@-]");
      const duration = input.DurationSeconds === undefined ? 3600 : Number(input.DurationSeconds);
      if (!(duration >= 900 && duration <= 3600)) throw awsError("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
      if (!this.roleExists(arn[1]!, arn[2]!)) {
        throw awsError("AccessDenied", `User: arn:aws:sts::222222222222:assumed-role/aft-fleet-controller/x is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`, 403);
      }
      const n = ++this.issued;
      return {
        Credentials: { AccessKeyId: `ASIA${String(n).padStart(16, "0")}`, SecretAccessKey: "secret", SessionToken: `token-${n}`, Expiration: new Date(this.ctx.clock.now() + duration * 1000) },
        AssumedRoleUser: { Arn: `arn:aws:sts::${arn[1]}:assumed-role/${arn[2]}/${input.RoleSessionName}`, AssumedRoleId: `AROA:${input.RoleSessionName}` },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------- member SSM

export interface MemberBehaviour {
  /** How long a new document version stays Creating/Updating before Active, ms (uniform in the range). */
  readonly documentReadyMs: readonly [number, number];
  /** How long an association execution runs before it ends, ms. */
  readonly installMs: number;
  /** Probability that an association execution ends Failed. */
  readonly failureRate: number;
  /** Managed nodes per account and Region (ResourceCountByStatus). */
  readonly nodes: number;
  /** String parameters every member account and Region holds. */
  readonly parameters: Readonly<Record<string, string>>;
  /** Whether an s3:// SourceUrl's manifest exists in the store (the attachments SSM copies). */
  readonly sourceExists: (sourceUrl: string) => boolean;
}

interface DocVersion {
  readonly version: number;
  readonly versionName?: string;
  readonly content: string;
  readonly created: number;
  readonly readyAt: number;
  readonly initial: "Creating" | "Updating";
  readonly ok: boolean;
}

interface PackageDocument {
  readonly name: string;
  readonly versions: Map<number, DocVersion>;
  latest: number;
  defaultVersion: number;
}

interface Execution {
  readonly ExecutionId: string;
  readonly AssociationVersion: string;
  readonly created: number;
  readonly doneAt: number;
  readonly outcome: "Success" | "Failed";
  readonly detail: string;
}

interface MemberAssociation {
  description: Input;
  readonly executions: Execution[];
}

const CONFIGURE_PACKAGE = "AWS-ConfigureAWSPackage";
/** CreateDocument Name: `^[a-zA-Z0-9_\-.]{3,128}$`, not starting with aws/amazon (CreateDocument API reference, Name). */
const DOCUMENT_NAME = /^(?![Aa][Ww][Ss]|[Aa][Mm][Aa][Zz][Oo][Nn])[a-zA-Z0-9_\-.]{3,128}$/;
/** CreateDocument/UpdateDocument VersionName: `^[a-zA-Z0-9_\-.]{1,128}$` (API reference). */
const DOC_VERSION_NAME = /^[a-zA-Z0-9_\-.]{1,128}$/;
/** AWS-ConfigureAWSPackage's parameters (User Guide, "Install or update Distributor packages"). */
const PACKAGE_PARAMETERS: Record<string, { allowed?: readonly string[]; required: boolean }> = {
  action: { allowed: ["Install", "Uninstall"], required: true },
  installationType: { allowed: ["Uninstall and reinstall", "In-place update"], required: false },
  name: { required: true },
  version: { required: false },
  additionalArguments: { required: false },
};
const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNSPECIFIED"];

/**
 * The SSM of one member account and Region. Documents (CreateDocument, UpdateDocument, DescribeDocument,
 * UpdateDocumentDefaultVersion, ListDocumentVersions, DeleteDocument) with versions that are Creating/Updating
 * for `documentReadyMs`, then Active (Failed when the SourceUrl has no manifest); State Manager associations of
 * AWS-ConfigureAWSPackage whose executions end after `installMs`; Parameter Store's GetParameters. Errors as
 * the API references list them:
 * - CreateDocument of an existing name: DocumentAlreadyExists; UpdateDocument with a VersionName the document
 *   has: DuplicateDocumentVersionName, with the latest content: DuplicateDocumentContent, beyond 25 versions:
 *   DocumentVersionLimitExceeded, of a version other than $LATEST or the latest: InvalidDocumentVersion.
 * - DescribeDocument / ListDocumentVersions / DeleteDocument of a missing document or version: InvalidDocument
 *   (as moto answers; AWS also lists InvalidDocumentVersion for DescribeDocument and does not say which a missing
 *   VersionName gets). DeleteDocument of the default version: InvalidDocumentOperation.
 * - Create/UpdateAssociation: the definition rules of the association stub in __tests__/lambdas
 *   (AssociationName, Targets at most 5 with at most 50 values, MaxConcurrency/MaxErrors, ScheduleExpression,
 *   ComplianceSeverity, AWS-ConfigureAWSPackage's parameters); AssociationAlreadyExists,
 *   AssociationDoesNotExist, AssociationVersionMismatch. Both run the association at once.
 * - An execution whose package version is not an Active version of the member's document fails, as the
 *   node's agent would find no such package.
 * - GetParameters: 1-10 names; unknown names come back in InvalidParameters.
 * - MaxResults of the lists: 1-50.
 */
export class FakeMemberSsm extends FakeService {
  protected readonly service = "SSM";
  private readonly buckets = new Map<string, TokenBucket>();
  readonly documents = new Map<string, PackageDocument>();
  readonly associations = new Map<string, MemberAssociation>();
  private ids = 0;

  constructor(
    ctx: FakeContext,
    readonly account: string,
    readonly region: string,
    readonly behaviour: MemberBehaviour,
  ) {
    super(ctx);
  }

  protected limitOf(api: string): { bucket: TokenBucket; error: string } {
    const limit = api === "GetParameters" ? RATE_LIMITS.ssmGetParameters : RATE_LIMITS.ssmOther;
    return { bucket: bucketFor(this.buckets, api === "GetParameters" ? "ps" : api, limit, this.ctx.clock.now()), error: "ThrottlingException" };
  }

  private now(): number {
    return this.ctx.clock.now();
  }

  private statusOf(v: DocVersion): string {
    if (this.now() < v.readyAt) return v.initial;
    return v.ok ? "Active" : "Failed";
  }

  private document(name: unknown): PackageDocument {
    const doc = typeof name === "string" ? this.documents.get(name) : undefined;
    if (doc === undefined) throw awsError("InvalidDocument", `The specified document does not exist: ${String(name)}`);
    return doc;
  }

  private selectVersion(doc: PackageDocument, input: Input): DocVersion {
    let found: DocVersion | undefined;
    if (input.VersionName !== undefined) {
      found = [...doc.versions.values()].find((v) => v.versionName === input.VersionName);
      if (found !== undefined && input.DocumentVersion !== undefined && String(found.version) !== String(input.DocumentVersion)) found = undefined;
    } else if (input.DocumentVersion !== undefined) {
      const n = input.DocumentVersion === "$LATEST" ? doc.latest : input.DocumentVersion === "$DEFAULT" ? doc.defaultVersion : Number(input.DocumentVersion);
      found = doc.versions.get(n);
    } else {
      found = doc.versions.get(doc.defaultVersion);
    }
    if (found === undefined) throw awsError("InvalidDocument", `The specified document version does not exist (${JSON.stringify(input)})`);
    return found;
  }

  private description(doc: PackageDocument, v: DocVersion): Input {
    const status = this.statusOf(v);
    return {
      Name: doc.name,
      DocumentType: "Package",
      DocumentFormat: "JSON",
      DocumentVersion: String(v.version),
      ...(v.versionName !== undefined ? { VersionName: v.versionName } : {}),
      LatestVersion: String(doc.latest),
      DefaultVersion: String(doc.defaultVersion),
      Status: status,
      ...(status === "Failed" ? { StatusInformation: "the attachments could not be copied from the SourceUrl" } : {}),
      CreatedDate: new Date(v.created),
    };
  }

  private newVersion(doc: PackageDocument | undefined, input: Input, initial: "Creating" | "Updating"): DocVersion {
    const content = String(input.Content ?? "");
    try {
      JSON.parse(content);
    } catch {
      throw awsError("InvalidDocumentContent", "The content for the document is not valid.");
    }
    if (input.VersionName !== undefined && !DOC_VERSION_NAME.test(String(input.VersionName))) throw awsError("ValidationException", `VersionName ${String(input.VersionName)} is not valid`);
    const attachments: Input[] = input.Attachments ?? [];
    const source = attachments.find((a) => a.Key === "SourceUrl")?.Values?.[0];
    const [lo, hi] = this.behaviour.documentReadyMs;
    return {
      version: (doc?.latest ?? 0) + 1,
      ...(input.VersionName !== undefined ? { versionName: String(input.VersionName) } : {}),
      content,
      created: this.now(),
      readyAt: this.now() + lo + this.ctx.random() * (hi - lo),
      initial,
      ok: typeof source === "string" && this.behaviour.sourceExists(source),
    };
  }

  private overviewOf(a: MemberAssociation): Input {
    const latest = a.executions[0];
    if (latest === undefined) return { Status: "Pending", DetailedStatus: "Creating" };
    const status = this.executionStatus(latest);
    return { Status: status === "Success" ? "Success" : status === "Failed" ? "Failed" : "Pending", DetailedStatus: status };
  }

  private executionStatus(e: Execution): string {
    const now = this.now();
    if (now < e.created + 5000) return "Pending";
    if (now < e.doneAt) return "InProgress";
    return e.outcome;
  }

  private run(a: MemberAssociation): void {
    const d = a.description;
    const parameters = (d.Parameters ?? {}) as Record<string, string[]>;
    const doc = this.documents.get(parameters.name?.[0] ?? "");
    const wanted = parameters.version?.[0];
    const version = doc === undefined ? undefined : [...doc.versions.values()].find((v) => (wanted === undefined ? v.version === doc.defaultVersion : v.versionName === wanted));
    const installable = version !== undefined && this.statusOf(version) === "Active";
    const failed = !installable || this.ctx.random() < this.behaviour.failureRate;
    a.executions.unshift({
      ExecutionId: `${this.account}-${this.region}-${++this.ids}`,
      AssociationVersion: String(d.AssociationVersion),
      created: this.now(),
      doneAt: this.now() + this.behaviour.installMs,
      outcome: failed ? "Failed" : "Success",
      detail: installable ? (failed ? "the install script exited 1 on a node" : "") : `package ${parameters.name?.[0]} ${wanted ?? ""} is not an Active version in this account and Region`,
    });
  }

  private checkDefinition(d: Input): void {
    if (d.Name !== CONFIGURE_PACKAGE) throw awsError("InvalidDocument", `Document ${String(d.Name)} does not exist`);
    if (d.AssociationName !== undefined && !ASSOCIATION_NAME.test(String(d.AssociationName))) throw awsError("ValidationException", `AssociationName ${String(d.AssociationName)} is not valid`);
    const targets: Input[] = d.Targets ?? [];
    if (targets.length === 0 || targets.length > 5) throw awsError("ValidationException", `Targets has ${targets.length} entries; 1-5 allowed here`);
    for (const t of targets) if (!t.Key || (t.Values ?? []).length < 1 || t.Values.length > 50) throw awsError("ValidationException", `Target ${String(t.Key)} needs 1-50 values`);
    const parameters = (d.Parameters ?? {}) as Record<string, unknown>;
    for (const [key, values] of Object.entries(parameters)) {
      const declared = PACKAGE_PARAMETERS[key];
      if (!declared) throw awsError("InvalidParameters", `Parameter ${key} is not declared by ${CONFIGURE_PACKAGE}`);
      if (!Array.isArray(values) || values.length !== 1 || typeof values[0] !== "string") throw awsError("InvalidParameters", `Parameter ${key} takes exactly one string`);
      if (declared.allowed && !declared.allowed.includes(values[0])) throw awsError("InvalidParameters", `Parameter ${key} = ${values[0]}`);
    }
    for (const [key, declared] of Object.entries(PACKAGE_PARAMETERS)) {
      if (declared.required && !((parameters[key] as string[] | undefined)?.[0] ?? "")) throw awsError("InvalidParameters", `Parameter ${key} is required`);
    }
    if (d.ScheduleExpression !== undefined) {
      const problem = scheduleProblem(String(d.ScheduleExpression));
      if (problem) throw awsError("ValidationException", `ScheduleExpression ${String(d.ScheduleExpression)}: ${problem}`);
    }
    if (d.MaxConcurrency !== undefined && !MAX_CONCURRENCY.test(String(d.MaxConcurrency))) throw awsError("ValidationException", `MaxConcurrency ${String(d.MaxConcurrency)}`);
    if (d.MaxErrors !== undefined && !MAX_ERRORS.test(String(d.MaxErrors))) throw awsError("ValidationException", `MaxErrors ${String(d.MaxErrors)}`);
    if (d.ComplianceSeverity !== undefined && !SEVERITIES.includes(String(d.ComplianceSeverity))) throw awsError("ValidationException", `ComplianceSeverity ${String(d.ComplianceSeverity)}`);
  }

  private association(id: unknown): MemberAssociation {
    const a = typeof id === "string" ? this.associations.get(id) : undefined;
    if (a === undefined) throw awsError("AssociationDoesNotExist", `The specified association does not exist: ${String(id)}`);
    return a;
  }

  private nameTaken(name: unknown, except?: string): boolean {
    return name !== undefined && [...this.associations.values()].some((a) => a.description.AssociationName === name && a.description.AssociationId !== except);
  }

  private definition(input: Input): Input {
    const { AssociationId: _id, AssociationVersion: _v, ...rest } = input;
    return structuredClone(rest);
  }

  private describeAssociation(a: MemberAssociation): Input {
    return { ...structuredClone(a.description), Overview: this.overviewOf(a) };
  }

  /**
   * When this pair's package got installed at `versionName` by the association's current version (the member's
   * truth: its latest execution succeeded), or undefined when it is not installed so.
   */
  installedAt(associationName: string, versionName: string): number | undefined {
    for (const a of this.associations.values()) {
      if (a.description.AssociationName !== associationName) continue;
      const e = a.executions[0];
      const ok = e !== undefined && e.AssociationVersion === String(a.description.AssociationVersion) && a.description.Parameters?.version?.[0] === versionName && this.executionStatus(e) === "Success";
      return ok ? e.doneAt : undefined;
    }
    return undefined;
  }

  protected readonly handlers: Record<string, Handler> = {
    CreateDocument: (input) => {
      const name = String(input.Name ?? "");
      if (!DOCUMENT_NAME.test(name)) throw awsError("ValidationException", `Name ${name} is not valid`);
      if (this.documents.has(name)) throw awsError("DocumentAlreadyExists", `The specified document already exists: ${name}`);
      if (input.DocumentType !== "Package") throw awsError("ValidationException", "only Package documents are faked");
      const v = this.newVersion(undefined, input, "Creating");
      const doc: PackageDocument = { name, versions: new Map([[v.version, v]]), latest: v.version, defaultVersion: v.version };
      this.documents.set(name, doc);
      return { DocumentDescription: this.description(doc, v) };
    },
    UpdateDocument: (input) => {
      const doc = this.document(input.Name);
      const asked = input.DocumentVersion;
      if (asked !== undefined && asked !== "$LATEST" && Number(asked) !== doc.latest) throw awsError("InvalidDocumentVersion", "only the latest version can be updated");
      if (input.VersionName !== undefined && [...doc.versions.values()].some((v) => v.versionName === input.VersionName)) {
        throw awsError("DuplicateDocumentVersionName", `The specified version name is a duplicate: ${String(input.VersionName)}`);
      }
      if (doc.versions.get(doc.latest)?.content === input.Content) throw awsError("DuplicateDocumentContent", "The content of the document matches the latest version.");
      if (doc.versions.size >= MAX_DOCUMENT_VERSIONS) throw awsError("DocumentVersionLimitExceeded", `The document has ${doc.versions.size} versions; delete one first.`);
      const v = this.newVersion(doc, input, "Updating");
      doc.versions.set(v.version, v);
      doc.latest = v.version;
      return { DocumentDescription: this.description(doc, v) };
    },
    DescribeDocument: (input) => {
      const doc = this.document(input.Name);
      return { Document: this.description(doc, this.selectVersion(doc, input)) };
    },
    UpdateDocumentDefaultVersion: (input) => {
      const doc = this.document(input.Name);
      const v = doc.versions.get(Number(input.DocumentVersion));
      if (v === undefined) throw awsError("InvalidDocumentVersion", `version ${String(input.DocumentVersion)} does not exist`);
      doc.defaultVersion = v.version;
      return { Description: { Name: doc.name, DefaultVersion: String(v.version), ...(v.versionName ? { DefaultVersionName: v.versionName } : {}) } };
    },
    ListDocumentVersions: (input) => {
      const doc = this.document(input.Name);
      const size = checkMax(input, SSM_LIST_MAX);
      const versions = [...doc.versions.values()].sort((a, b) => b.version - a.version);
      const { items, next } = paged(versions, input, size);
      return {
        DocumentVersions: items.map((v) => ({
          Name: doc.name,
          DocumentVersion: String(v.version),
          ...(v.versionName !== undefined ? { VersionName: v.versionName } : {}),
          CreatedDate: new Date(v.created),
          IsDefaultVersion: v.version === doc.defaultVersion,
          DocumentFormat: "JSON",
          Status: this.statusOf(v),
        })),
        ...(next ? { NextToken: next } : {}),
      };
    },
    DeleteDocument: (input) => {
      const doc = this.document(input.Name);
      if (input.DocumentVersion === undefined) {
        this.documents.delete(doc.name);
        return {};
      }
      const n = Number(input.DocumentVersion);
      if (!doc.versions.has(n)) throw awsError("InvalidDocument", `version ${String(input.DocumentVersion)} does not exist`);
      if (n === doc.defaultVersion) throw awsError("InvalidDocumentOperation", "You can't delete the default version of a document.");
      doc.versions.delete(n);
      return {};
    },
    GetParameters: (input) => {
      const names: string[] = input.Names ?? [];
      if (names.length < 1 || names.length > GET_PARAMETERS_MAX) throw awsError("ValidationException", `Names has ${names.length} items; 1-${GET_PARAMETERS_MAX} allowed`);
      const known = names.filter((n) => this.behaviour.parameters[n] !== undefined);
      return {
        Parameters: known.map((Name) => ({ Name, Type: "String", Value: this.behaviour.parameters[Name], Version: 1 })),
        InvalidParameters: names.filter((n) => this.behaviour.parameters[n] === undefined),
      };
    },
    ListAssociations: (input) => {
      const size = checkMax(input, SSM_LIST_MAX);
      const filters: { key: string; value: string }[] = input.AssociationFilterList ?? [];
      const matching = [...this.associations.values()]
        .map((a) => a.description)
        .filter((d) =>
          filters.every((f) => {
            // AWS does not document the AssociationName filter's matching rule: prefix here, so callers must compare.
            if (f.key === "AssociationName") return String(d.AssociationName ?? "").startsWith(f.value);
            if (f.key === "Name") return d.Name === f.value;
            throw awsError("ValidationException", `filter key ${f.key} is not faked`);
          }),
        )
        .sort((a, b) => (a.AssociationId < b.AssociationId ? -1 : 1));
      const { items, next } = paged(matching, input, size);
      return {
        Associations: items.map((d) => ({ Name: d.Name, AssociationId: d.AssociationId, AssociationVersion: d.AssociationVersion, AssociationName: d.AssociationName, Targets: d.Targets, ScheduleExpression: d.ScheduleExpression, Overview: this.overviewOf(this.associations.get(d.AssociationId)!) })),
        ...(next ? { NextToken: next } : {}),
      };
    },
    CreateAssociation: (input) => {
      const d = this.definition(input);
      this.checkDefinition(d);
      if (this.nameTaken(d.AssociationName)) throw awsError("AssociationAlreadyExists", `The specified association already exists: ${String(d.AssociationName)}`);
      const id = `${this.account}-${this.region}-assoc-${++this.ids}`;
      const a: MemberAssociation = { description: { ...d, AssociationId: id, AssociationVersion: "1", Date: new Date(this.now()) }, executions: [] };
      this.associations.set(id, a);
      if (!d.ApplyOnlyAtCronInterval) this.run(a);
      return { AssociationDescription: this.describeAssociation(a) };
    },
    UpdateAssociation: (input) => {
      const a = this.association(input.AssociationId);
      const current = a.description;
      const asked = input.AssociationVersion;
      if (asked !== undefined && asked !== "$LATEST" && asked !== current.AssociationVersion) throw awsError("AssociationVersionMismatch", `version ${String(asked)} is not ${String(current.AssociationVersion)}`);
      // UpdateAssociation nulls every optional field the request omits (UpdateAssociation API reference).
      const d: Input = { Name: current.Name, ...this.definition(input) };
      this.checkDefinition(d);
      if (this.nameTaken(d.AssociationName, current.AssociationId)) throw awsError("AssociationAlreadyExists", `The specified association already exists: ${String(d.AssociationName)}`);
      a.description = { ...d, AssociationId: current.AssociationId, AssociationVersion: String(Number(current.AssociationVersion) + 1), Date: current.Date };
      if (!d.ApplyOnlyAtCronInterval) this.run(a);
      return { AssociationDescription: this.describeAssociation(a) };
    },
    DescribeAssociation: (input) => ({ AssociationDescription: this.describeAssociation(this.association(input.AssociationId)) }),
    DescribeAssociationExecutions: (input) => {
      const a = this.association(input.AssociationId);
      const size = checkMax(input, SSM_LIST_MAX);
      const { items, next } = paged(a.executions, input, size);
      return {
        AssociationExecutions: items.map((e) => {
          const status = this.executionStatus(e);
          const nodes = this.behaviour.nodes;
          const counts = status === "Success" ? `{Success=${nodes}}` : status === "Failed" ? `{Failed=1, Success=${nodes - 1}}` : `{InProgress=${nodes}}`;
          return {
            AssociationId: a.description.AssociationId,
            AssociationVersion: e.AssociationVersion,
            ExecutionId: e.ExecutionId,
            Status: status,
            DetailedStatus: status === "Failed" ? e.detail || status : status,
            CreatedTime: new Date(e.created),
            ResourceCountByStatus: counts,
          };
        }),
        ...(next ? { NextToken: next } : {}),
      };
    },
    StartAssociationsOnce: (input) => {
      const ids: string[] = input.AssociationIds ?? [];
      if (ids.length < 1 || ids.length > START_ONCE_MAX) throw awsError("ValidationException", `AssociationIds takes 1-${START_ONCE_MAX} ids`);
      ids.map((id) => this.association(id)).forEach((a) => this.run(a));
      return {};
    },
  };
}
