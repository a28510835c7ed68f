/**
 * Credentials for one member account: AssumeRole into its execution role (contract EXECUTION_ROLE_NAME),
 * cached per account for the credentials' lifetime minus a margin, so one AssumeRole serves every
 * Region of the account, and an SSM client per (credentials, Region).
 *
 * STS client: `@aws-sdk/client-sts` with the default credential chain (the Lambda's own role).
 * assumeMember takes any client whose `send` takes the command, so tests can stub it.
 *
 * AWS API actions: sts:AssumeRole on arn:<partition>:iam::<account>:role/<roleName>.
 */
import { AssumeRoleCommand, STSClient, type AssumeRoleCommandOutput } from "@aws-sdk/client-sts";
import { SSMClient } from "@aws-sdk/client-ssm";
import { ACCOUNT_ID } from "../../contract";
import { clientConfig } from "../shared/clients";
import { withBackoff, type BackoffOptions } from "../shared/retry";
import { NotReadyError, PairInputError, errorName } from "./pair-errors";

/** STS answers these when the role does not exist yet or does not trust the caller (AssumeRole API reference). */
export const NOT_READY_ERROR_NAMES: ReadonlySet<string> = new Set(["AccessDenied", "AccessDeniedException"]);

/**
 * Session length asked for. The controller's own credentials are a role session, so this is role
 * chaining, which STS caps at one hour ("Role chaining limits your AWS CLI or AWS API role session to
 * a maximum of one hour", IAM User Guide, "Methods to assume a role").
 */
export const SESSION_SECONDS = 3600;
/** Cached credentials are dropped this long before they expire, so no call starts with a dying session. */
export const CREDENTIAL_MARGIN_MS = 5 * 60 * 1000;

/** IAM role names (CreateRole RoleName): 1-64 of `[\w+=,.@-]`. */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
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

export function roleArnOf(role: Pick<MemberRole, "partition" | "account" | "roleName">): string {
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
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: new Date(c.Expiration) };
  });
}

const clientsByCredentials = new WeakMap<MemberCredentials, Map<string, SSMClient>>();

/**
 * An SSM client acting as the member in `region` (shared client settings: adaptive retries; the
 * endpoint override comes from AWS_ENDPOINT_URL). Reused while the same credentials object is cached.
 */
export function memberSsmClient(credentials: MemberCredentials, region: string): SSMClient {
  let byRegion = clientsByCredentials.get(credentials);
  if (byRegion === undefined) {
    byRegion = new Map();
    clientsByCredentials.set(credentials, byRegion);
  }
  let client = byRegion.get(region);
  if (client === undefined) {
    client = new SSMClient({
      ...clientConfig(region),
      credentials: {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        sessionToken: credentials.sessionToken,
        expiration: credentials.expiration,
      },
    });
    byRegion.set(region, client);
  }
  return client;
}

/** assumeMember then memberSsmClient: the member's SSM in one Region. */
export async function memberSsm(sts: StsSender, role: MemberRole, region: string, deps: AssumeDeps = {}): Promise<SSMClient> {
  return memberSsmClient(await assumeMember(sts, role, deps), region);
}
