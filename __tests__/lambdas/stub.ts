/**
 * SDK-level stubs for APIs moto does not emulate (multi-account Automation) and for failure modes
 * it cannot produce on demand (throttling). The client is a real SDK client; only `send` is replaced,
 * so the handler code under test is unchanged.
 */

export interface SentCommand {
  name: string;
  input: Record<string, unknown>;
}

type Responder = (command: SentCommand) => unknown;

/** Replaces `client.send`; returns the list of commands sent, in order. */
export function stubSend(client: object, respond: Responder): SentCommand[] {
  const sent: SentCommand[] = [];
  const target = client as { send: (command: { constructor: { name: string }; input: Record<string, unknown> }) => Promise<unknown> };
  target.send = async (command) => {
    const entry = { name: command.constructor.name.replace(/Command$/, ""), input: command.input };
    sent.push(entry);
    return respond(entry);
  };
  return sent;
}

/** Records calls that `client.send` passes through to the real implementation (e.g. moto). */
export function spySend(client: object): SentCommand[] {
  const sent: SentCommand[] = [];
  const target = client as { send: (command: { constructor: { name: string }; input: Record<string, unknown> }) => Promise<unknown> };
  const original = target.send.bind(client);
  target.send = (command) => {
    sent.push({ name: command.constructor.name.replace(/Command$/, ""), input: structuredClone(command.input) });
    return original(command);
  };
  return sent;
}

/** An error shaped like the SDK's service exceptions (only `name` matters to the handlers). */
export function awsError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** A sleep that records requested delays and returns at once. */
export function recordingSleep(): { delays: number[]; sleep: (ms: number) => Promise<void> } {
  const delays: number[] = [];
  return { delays, sleep: async (ms) => void delays.push(ms) };
}

/*
 * S3 as it judges one caller's identity policy (same account, no bucket policy, no SCP), in front of moto,
 * which authorizes nothing. The rules it applies, with their sources:
 * - Evaluation: an explicit Deny wins, then an Allow whose Action, Resource and Condition all match; else
 *   the request is implicitly denied (IAM User Guide, "Policy evaluation logic").
 * - Action and Resource match case-insensitively (actions) and with `*` / `?` wildcards; `${*}`, `${?}`
 *   and `${$}` stand for the characters themselves (IAM User Guide, "IAM JSON policy elements: Resource"
 *   and "IAM policy elements: Variables and tags", "Special characters").
 * - A condition key missing from the request context matches no ordinary operator, and any ...IfExists
 *   operator (IAM User Guide, "IAM JSON policy elements: Condition operators", "...IfExists condition
 *   operators").
 * - ListObjectsV2 is authorized as s3:ListBucket on the bucket, with its Prefix as s3:prefix; without
 *   a Prefix the key is absent (Service Authorization Reference, Amazon S3: ListBucket, condition key
 *   s3:prefix; S3 User Guide, "Example: Allow users to list objects by prefix").
 * - GetObject of a key that does not exist: "If you have the s3:ListBucket permission on the bucket,
 *   Amazon S3 returns an HTTP status code 404 Not Found error. If you don't have the s3:ListBucket
 *   permission, Amazon S3 returns an HTTP status code 403 Access Denied error" (S3 API Reference,
 *   GetObject). Which s3:prefix that implicit check carries is not documented: `missingKeyPrefix`
 *   "absent" (the default, the strictest reading: only a grant that holds without s3:prefix counts) or
 *   "key" (the key as s3:prefix).
 * Any other command, operator or policy element is refused as an error of the stub, never guessed at.
 */

export interface IamStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface IamPolicy {
  Version: string;
  Statement: IamStatement[];
}

/** A request as IAM sees it: one action, one resource ARN, its condition keys. */
export interface IamRequest {
  action: string;
  resource: string;
  context: Record<string, string>;
}

function iamPattern(pattern: string, caseInsensitive: boolean): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const special = /^\$\{([*?$])\}/.exec(pattern.slice(i));
    if (special) {
      source += `\\${special[1]}`;
      i += special[0].length - 1;
    } else if (pattern.slice(i, i + 2) === "${") {
      throw new Error(`S3 policy stub: policy variable in ${pattern} is not supported`);
    } else if (pattern[i] === "*") source += ".*";
    else if (pattern[i] === "?") source += ".";
    else source += pattern[i]!.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, caseInsensitive ? "is" : "s");
}

function conditionHolds(operator: string, block: Record<string, string | string[]>, context: Record<string, string>): boolean {
  const ifExists = operator.endsWith("IfExists");
  const base = ifExists ? operator.slice(0, -"IfExists".length) : operator;
  return Object.entries(block).every(([key, wanted]) => {
    const value = context[key];
    if (value === undefined) return ifExists;
    const values = [wanted].flat();
    switch (base) {
      case "StringEquals":
        return values.includes(value);
      case "StringLike":
        return values.some((v) => iamPattern(v, false).test(value));
      default:
        throw new Error(`S3 policy stub: condition operator ${operator} is not supported`);
    }
  });
}

function statementMatches(statement: IamStatement, request: IamRequest): boolean {
  for (const element of Object.keys(statement)) {
    if (!["Sid", "Effect", "Action", "Resource", "Condition"].includes(element)) throw new Error(`S3 policy stub: policy element ${element} is not supported`);
  }
  const actions = [statement.Action].flat();
  const resources = [statement.Resource].flat();
  if (!actions.some((a) => iamPattern(a, true).test(request.action))) return false;
  if (!resources.some((r) => iamPattern(r, false).test(request.resource))) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, block]) => conditionHolds(operator, block, request.context));
}

/** Whether an identity policy allows the request (explicit Deny first, then any Allow). */
export function iamAllows(policy: IamPolicy, request: IamRequest): boolean {
  if (policy.Statement.some((s) => s.Effect === "Deny" && statementMatches(s, request))) return false;
  return policy.Statement.some((s) => s.Effect === "Allow" && statementMatches(s, request));
}

/** The 403 S3 answers a refused request with, shaped as the SDK throws it. */
export function s3AccessDenied(): Error {
  const error = Object.assign(new Error("Access Denied"), { name: "AccessDenied", Code: "AccessDenied", $fault: "client", $metadata: { httpStatusCode: 403 } });
  return error;
}

/** What S3 did with one command: let it through to moto, answered NoSuchKey (404), or refused (403). */
export interface S3Decision {
  command: string;
  key?: string;
  prefix?: string;
  answer: "passed" | 404 | 403;
}

export interface S3PolicyOptions {
  /** Which s3:prefix the implicit ListBucket check of a GetObject on a missing key carries (see above). */
  missingKeyPrefix?: "absent" | "key";
}

/**
 * Puts S3's authorization in front of `client.send` (a real SDK client talking to moto): each command is
 * judged against `policy` as above, refused with S3's 403, or passed through; `options` is read at each
 * call, so a test may change it. Returns the decisions.
 */
export function enforceS3Policy(client: object, policy: () => IamPolicy, options: Readonly<S3PolicyOptions> = {}): S3Decision[] {
  const log: S3Decision[] = [];
  const target = client as { send: (command: { constructor: { name: string }; input: Record<string, unknown> }) => Promise<unknown> };
  const original = target.send.bind(client);
  const objectActions: Record<string, string> = { GetObject: "s3:GetObject", PutObject: "s3:PutObject", DeleteObject: "s3:DeleteObject" };
  target.send = async (command) => {
    const name = command.constructor.name.replace(/Command$/, "");
    const bucket = String(command.input.Bucket);
    const key = command.input.Key === undefined ? undefined : String(command.input.Key);
    const bucketArn = `arn:aws:s3:::${bucket}`;
    const prefix = typeof command.input.Prefix === "string" ? command.input.Prefix : undefined;
    const decided = (answer: S3Decision["answer"]) => log.push({ command: name, ...(key !== undefined ? { key } : {}), ...(prefix !== undefined ? { prefix } : {}), answer });
    const refuse = () => {
      decided(403);
      throw s3AccessDenied();
    };
    if (name === "ListObjectsV2") {
      const context: Record<string, string> = prefix !== undefined ? { "s3:prefix": prefix } : {};
      if (!iamAllows(policy(), { action: "s3:ListBucket", resource: bucketArn, context })) refuse();
    } else if (objectActions[name] !== undefined && key !== undefined) {
      if (!iamAllows(policy(), { action: objectActions[name]!, resource: `${bucketArn}/${key}`, context: {} })) refuse();
      if (name === "GetObject") {
        try {
          const response = await original(command);
          decided("passed");
          return response;
        } catch (error) {
          const missing = (error as { name?: string }).name === "NoSuchKey";
          const context: Record<string, string> = options.missingKeyPrefix === "key" ? { "s3:prefix": key } : {};
          if (missing && !iamAllows(policy(), { action: "s3:ListBucket", resource: bucketArn, context })) refuse();
          if (missing) decided(404);
          throw error;
        }
      }
    } else {
      throw new Error(`S3 policy stub: no IAM rule known for ${name}`);
    }
    decided("passed");
    return original(command);
  };
  return log;
}
