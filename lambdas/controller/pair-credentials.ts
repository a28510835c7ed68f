/**
 * Credentials for one member account: AssumeRole into its execution role (contract EXECUTION_ROLE_NAME),
 * cached per account for the credentials' lifetime minus a margin, so one AssumeRole serves every
 * Region of the account, and member clients cached per (account, Region, credentials) that all share
 * one HTTP handler (shared/clients.ts sharedHttpHandler): hundreds of pairs in flight use one bounded
 * socket pool, and a warm invocation reuses the clients of the last one.
 *
 * STS client: `@aws-sdk/client-sts` with the default credential chain (the Lambda's own role).
 * assumeMember takes any client whose `send` takes the command, so tests can stub it.
 *
 * AWS API actions: sts:AssumeRole on arn:<partition>:iam::<account>:role/<roleName>.
 */
import { AssumeRoleCommand, STSClient, type AssumeRoleCommandOutput } from "@aws-sdk/client-sts";
import { SSMClient } from "@aws-sdk/client-ssm";
import { ACCOUNT_ID, ROLE_NAME } from "../../contract";
import type { NodeHttpHandler } from "@smithy/node-http-handler";
import { clientConfig, sharedHttpHandler, type BaseClientConfig } from "../shared/clients";
import { RateLimiter, SSM_PER_ACCOUNT_REGION_RATE, rateLimited } from "../shared/rate-limit";
import { withBackoff, type BackoffOptions } from "../shared/retry";
import { NotReadyError, PairInputError, errorName } from "./pair-errors";

/** STS answers these when the role does not exist yet or does not trust the caller (AssumeRole API reference). */
const NOT_READY_ERROR_NAMES: ReadonlySet<string> = new Set(["AccessDenied", "AccessDeniedException"]);

/**
 * Session length asked for. The controller's own credentials are a role session, so this is role
 * chaining, which STS caps at one hour ("Role chaining limits your AWS CLI or AWS API role session to
 * a maximum of one hour", IAM User Guide, "Methods to assume a role").
 */
const SESSION_SECONDS = 3600;
/** Cached credentials are dropped this long before they expire, so no call starts with a dying session. */
const CREDENTIAL_MARGIN_MS = 5 * 60 * 1000;

/** AssumeRole RoleSessionName: 2-64 of `[\w+=,.@-]`. */
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
/** AssumeRole ExternalId: 2-1224 of `[\w+=,.@:/-]`. */
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const PARTITIONS: readonly string[] = ["aws", "aws-cn", "aws-us-gov"];

export interface MemberRole {
  readonly account: string;
  /** contract partitionOf(region) of the account's Regions. */
  readonly partition: string;
  /** contract EXECUTION_ROLE_NAME. */
  readonly roleName: string;
  /** Shows in the member's CloudTrail; e.g. the run id. */
  readonly sessionName: string;
  readonly externalId?: string;
}

export interface MemberCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
  /** The account the credentials act in (set by assumeMember); part of the member client cache key. */
  readonly account?: string;
}

/** What assumeMember needs of an STS client (STSClient from either SDK package satisfies it). */
export interface StsSender {
  send(command: AssumeRoleCommand): Promise<AssumeRoleCommandOutput>;
}

/** The controller's own STS client (its Lambda role's credentials), for assumeMember. */
export function centralStsClient(region: string): STSClient {
  return new STSClient(clientConfig(region));
}

/** In-flight and finished AssumeRole results by role; share one per Lambda container. */
export class CredentialCache {
  private readonly entries = new Map<string, Promise<MemberCredentials>>();

  constructor(
    /** Drop credentials this long before they expire. */
    readonly marginMs: number = CREDENTIAL_MARGIN_MS,
  ) {}

  /** The cached credentials for `key` still valid at `now`, else those `assume` yields (one call at a time per key). */
  async get(key: string, now: () => number, assume: () => Promise<MemberCredentials>): Promise<MemberCredentials> {
    const cached = this.entries.get(key);
    if (cached !== undefined) {
      const credentials = await cached.catch(() => undefined);
      if (credentials !== undefined && credentials.expiration.getTime() - this.marginMs > now()) return credentials;
      if (this.entries.get(key) === cached) this.entries.delete(key);
      else return this.get(key, now, assume); // another caller replaced it meanwhile
    }
    const pending = assume();
    this.entries.set(key, pending);
    pending.catch(() => {
      if (this.entries.get(key) === pending) this.entries.delete(key);
    });
    return pending;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Shared by every call in this Lambda container unless a test passes its own. */
export const defaultCredentialCache = new CredentialCache();

export interface AssumeDeps {
  readonly cache?: CredentialCache;
  readonly backoff?: BackoffOptions;
  /** Clock for cache expiry. @default Date.now */
  readonly now?: () => number;
}

function roleArnOf(role: Pick<MemberRole, "partition" | "account" | "roleName">): string {
  return `arn:${role.partition}:iam::${role.account}:role/${role.roleName}`;
}

function validateRole(role: MemberRole): void {
  if (!ACCOUNT_ID.test(role.account)) throw new PairInputError("account", role.account, "a 12-digit account id");
  if (!PARTITIONS.includes(role.partition)) throw new PairInputError("partition", role.partition, PARTITIONS.join(", "));
  if (!ROLE_NAME.test(role.roleName)) throw new PairInputError("roleName", role.roleName, `an IAM role name matching ${ROLE_NAME.source}`);
  if (!SESSION_NAME.test(role.sessionName)) throw new PairInputError("sessionName", role.sessionName, `a session name matching ${SESSION_NAME.source}`);
  if (role.externalId !== undefined && !EXTERNAL_ID.test(role.externalId)) {
    throw new PairInputError("externalId", role.externalId, `an external id matching ${EXTERNAL_ID.source}`);
  }
}

/**
 * Credentials of the member's execution role, from the cache while they have more than the margin
 * left. AccessDenied (role missing or not trusting us yet) becomes NotReadyError; throttling is
 * retried; anything else is thrown as the SDK raised it.
 */
export async function assumeMember(sts: StsSender, role: MemberRole, deps: AssumeDeps = {}): Promise<MemberCredentials> {
  validateRole(role);
  const roleArn = roleArnOf(role);
  const cache = deps.cache ?? defaultCredentialCache;
  const now = deps.now ?? Date.now;
  const key = `${roleArn}|${role.externalId ?? ""}`;
  return cache.get(key, now, async () => {
    let response: AssumeRoleCommandOutput;
    try {
      response = await withBackoff(
        () =>
          sts.send(
            new AssumeRoleCommand({
              RoleArn: roleArn,
              RoleSessionName: role.sessionName,
              DurationSeconds: SESSION_SECONDS,
              ...(role.externalId === undefined ? {} : { ExternalId: role.externalId }),
            }),
          ),
        deps.backoff,
      );
    } catch (error) {
      const name = errorName(error);
      if (name !== undefined && NOT_READY_ERROR_NAMES.has(name)) {
        throw new NotReadyError(role.account, roleArn, name, error instanceof Error ? error.message : String(error));
      }
      throw error;
    }
    const c = response.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new Error(`AssumeRole ${roleArn} returned no complete credentials`);
    }
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: new Date(c.Expiration), account: role.account };
  });
}

/** A member client's settings: the shared client settings, the member's credentials, the shared HTTP handler. */
export interface MemberClientConfig extends BaseClientConfig {
  readonly credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: Date };
  readonly requestHandler: NodeHttpHandler;
}

/** Client settings acting as the member in `region` (the endpoint override comes from AWS_ENDPOINT_URL). */
function memberClientConfig(credentials: MemberCredentials, region: string): MemberClientConfig {
  return {
    ...clientConfig(region),
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      expiration: credentials.expiration,
    },
    requestHandler: sharedHttpHandler(),
  };
}

/**
 * Member clients kept per kind. Measured with @aws-sdk/client-ssm 3.1164.0 on Node.js 20: about 30 KB of
 * heap and 0.9 ms to create one client. 500 per kind (15 MB; the controller has 512 MB) is more than
 * the pairs a pass keeps in flight, so a pass and the next warm invocation reuse their clients; beyond
 * it the least recently used client is dropped (and recreated in under a millisecond when needed).
 */
const MAX_CACHED_MEMBER_CLIENTS = 500;

/** The cache key: account, Region and the credentials (their expiry and access key id). */
function memberClientKey(credentials: MemberCredentials, region: string): string {
  return `${credentials.account ?? ""}|${region}|${credentials.expiration.getTime()}|${credentials.accessKeyId}`;
}

/**
 * Member clients of one kind by (account, Region, credentials), least recently used first. A client is
 * reused while its credentials are the cached ones; clients of expired credentials are dropped when a
 * new one is added. Dropped clients are not destroyed: they share the HTTP handler.
 */
export class MemberClientCache<C> {
  private readonly entries = new Map<string, { readonly client: C; readonly expires: number }>();

  constructor(
    private readonly create: (config: MemberClientConfig) => C,
    readonly maxEntries: number = MAX_CACHED_MEMBER_CLIENTS,
    private readonly now: () => number = Date.now,
  ) {}

  get(credentials: MemberCredentials, region: string): C {
    const key = memberClientKey(credentials, region);
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key); // most recently used last
      this.entries.set(key, hit);
      return hit.client;
    }
    const now = this.now();
    for (const [k, entry] of this.entries) if (entry.expires <= now) this.entries.delete(k);
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    const client = this.create(memberClientConfig(credentials, region));
    this.entries.set(key, { client, expires: credentials.expiration.getTime() });
    return client;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** The member SSM clients of this Lambda container. */
const memberSsmClients = new MemberClientCache((config) => new SSMClient(config));

/**
 * An SSM client acting as the member in `region` (shared client settings: adaptive retries, the shared
 * HTTP handler; the endpoint override comes from AWS_ENDPOINT_URL), reused per (account, Region, credentials).
 */
export function memberSsmClient(credentials: MemberCredentials, region: string): SSMClient {
  return memberSsmClients.get(credentials, region);
}

/** SSM calls per member account and Region in this container (shared/rate-limit.ts SSM_PER_ACCOUNT_REGION_RATE). */
const memberSsmRateLimiter = new RateLimiter(SSM_PER_ACCOUNT_REGION_RATE);

/** The key of a member account and Region in the SSM limiter. */
export function memberRateKey(credentials: MemberCredentials, region: string): string {
  return `${credentials.account ?? credentials.accessKeyId}|${region}`;
}

/** memberSsmClient whose every send first takes a token of its account and Region from `limiter`. */
export function rateLimitedMemberSsmClient(credentials: MemberCredentials, region: string, limiter: RateLimiter = memberSsmRateLimiter): SSMClient {
  const key = memberRateKey(credentials, region);
  return rateLimited(memberSsmClient(credentials, region), () => limiter.take(key));
}

/** assumeMember then memberSsmClient: the member's SSM in one Region. */
export async function memberSsm(sts: StsSender, role: MemberRole, region: string, deps: AssumeDeps = {}): Promise<SSMClient> {
  return memberSsmClient(await assumeMember(sts, role, deps), region);
}
