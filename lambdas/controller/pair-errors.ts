/**
 * Typed failures of the per-pair operations. The controller records each as the pair's state:
 * NotReadyError -> NotReady (retried next run); the others -> Failed with the message as `error`.
 */

/** The member's execution role cannot be assumed yet (AFT has not customized the account). */
export class NotReadyError extends Error {
  constructor(
    readonly account: string,
    readonly roleArn: string,
    readonly causeName: string,
    causeMessage: string,
  ) {
    super(`cannot assume ${roleArn} yet (${causeName}: ${causeMessage}); the account is retried next run`);
    this.name = "NotReadyError";
  }
}

/**
 * Parameter Store names a package argument references do not exist in this account and Region yet; the
 * node's agent would fail every install with "Input contains invalid parameters". Retried next run.
 */
export class ParametersNotReadyError extends NotReadyError {
  constructor(readonly missing: readonly string[]) {
    super("", "", "ParameterNotFound", missing.join(", "));
    this.message = `the package arguments reference ${missing.join(", ")}, missing in this account and Region (create them as String parameters); retried next run`;
    this.name = "ParametersNotReadyError";
  }
}

/** A value handed to a pair operation breaks a rule AWS would reject it for; raised before any call. */
export class PairInputError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`${field} = ${JSON.stringify(value) ?? "undefined"}: expected ${allowed}`);
    this.name = "PairInputError";
  }
}

/** The store has no manifest.json for the version, so no document version can be made from it. */
export class ManifestMissingError extends Error {
  constructor(readonly manifestUrl: string) {
    super(`manifest.json not found at ${manifestUrl}`);
    this.name = "ManifestMissingError";
  }
}

/** The manifest is not JSON, or its `version` is not the VersionName (Distributor requires them equal). */
export class ManifestInvalidError extends Error {
  constructor(
    readonly manifestUrl: string,
    reason: string,
  ) {
    super(`manifest.json at ${manifestUrl} is unusable: ${reason}`);
    this.name = "ManifestInvalidError";
  }
}

/** SSM finished processing the document version with Status Failed (e.g. an attachment it could not copy). */
export class DocumentVersionFailedError extends Error {
  constructor(
    readonly documentName: string,
    readonly documentVersion: string,
    readonly status: string,
    readonly statusInformation: string | undefined,
  ) {
    super(`document ${documentName} version ${documentVersion} is ${status}: ${statusInformation ?? "no StatusInformation"}`);
    this.name = "DocumentVersionFailedError";
  }
}

/** More than one association carries the name the controller owns: it will not guess which to manage. */
export class AmbiguousAssociationError extends Error {
  constructor(
    readonly associationName: string,
    readonly associationIds: readonly string[],
  ) {
    super(`${associationIds.length} associations are named ${associationName} (${associationIds.join(", ")}); delete all but one`);
    this.name = "AmbiguousAssociationError";
  }
}

/** The SDK error name, whether the SDK put it in `name` or (older shapes) `code`/`Code`. */
export function errorName(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { name?: unknown; code?: unknown; Code?: unknown };
  for (const value of [e.name, e.code, e.Code]) if (typeof value === "string" && value !== "Error") return value;
  return undefined;
}

/** Access-denied error names of the member-side services (SSM and Auto Scaling: AccessDeniedException/AccessDenied; EC2: UnauthorizedOperation). */
const ACCESS_DENIED = new Set(["AccessDeniedException", "AccessDenied", "UnauthorizedOperation"]);

/**
 * A member call refused because the account's execution role lacks a grant its next AFT run adds (the
 * central tree applies first, so a first package, Region or campaign reaches the controller before every
 * account's global stage ran). IAM's message names the caller ("User: arn:...:assumed-role/<role>/<session>
 * is not authorized to perform: <action>"); only refusals of the execution role count, so a refusal of the
 * controller's own role (a central misconfiguration) still fails the pair.
 */
class GrantNotReadyError extends NotReadyError {
  constructor(causeName: string, causeMessage: string) {
    super("", "", causeName, causeMessage);
    this.message = `the account's execution role may not do this yet (${causeName}: ${causeMessage}); its AFT global customization grants it on the next run (re-customize the account); retried next run`;
    this.name = "GrantNotReadyError";
  }
}

/** The error a failed pair is recorded with: a member's access denial becomes GrantNotReadyError (NotReady), the rest as is. */
export function classifyPairError(error: unknown, executionRoleName: string): unknown {
  const name = errorName(error);
  const message = error instanceof Error ? error.message : String(error);
  if (name !== undefined && ACCESS_DENIED.has(name) && message.includes(`:assumed-role/${executionRoleName}/`)) return new GrantNotReadyError(name, message);
  return error;
}
