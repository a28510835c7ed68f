/**
 * The member's `Package` document: make the wanted package version exist as a document version, wait
 * until SSM has copied its attachments (Status Active), make it the default version and prune old
 * versions.
 *
 * - A package version is a document version whose VersionName is the package version; rollback and
 *   retries reuse it, because UpdateDocument with an existing VersionName fails with
 *   DuplicateDocumentVersionName (UpdateDocument API reference, Errors).
 * - Distributor holds each package to at most 25 versions ("Each package is held to a maximum of 25
 *   versions. You can delete versions that are no longer required.", AWS Systems Manager User Guide,
 *   "Add a version to a Distributor package", distributor-working-with-packages-version.html);
 *   UpdateDocument on a full document fails with DocumentVersionLimitExceeded ("The document has too
 *   many versions. Delete one or more document versions and try again.", UpdateDocument API reference,
 *   Errors). So when a version must be added to a document holding 25, the oldest versions are deleted
 *   first to make room (never the default version, never a version in keepVersionNames), then the
 *   version is added, then the document is pruned to the retention. Retention may be at most 24.
 *
 * AWS API actions: ssm:DescribeDocument, ssm:CreateDocument, ssm:UpdateDocument,
 * ssm:UpdateDocumentDefaultVersion, ssm:ListDocumentVersions, ssm:DeleteDocument on the document, and
 * s3:GetObject on the SourceUrl prefix for SSM to copy the attachments (as the member).
 */
import {
  CreateDocumentCommand,
  DeleteDocumentCommand,
  DescribeDocumentCommand,
  ListDocumentVersionsCommand,
  UpdateDocumentCommand,
  UpdateDocumentDefaultVersionCommand,
  type DocumentDescription,
  type DocumentVersionInfo,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import { DOCUMENT_NAME, VERSION_NAME } from "../../contract";
import { withBackoff, sleep as realSleep, type BackoffOptions } from "../shared/retry";
import { DocumentVersionFailedError, ManifestInvalidError, ManifestMissingError, PairInputError, errorName } from "./pair-errors";

/** Distributor's hard limit of versions per package (see the file comment). */
const MAX_PACKAGE_VERSIONS = 25;
const DEFAULT_RETENTION = 10;
/** DescribeDocument polls while the version is Creating/Updating. */
const DEFAULT_POLL_INTERVAL_MS = 2000;
const DEFAULT_POLL_TIMEOUT_MS = 60_000;
/** ListDocumentVersions MaxResults allows 1-50. */
const LIST_PAGE_SIZE = 50;

export interface PackageVersionInput {
  /** The Package document (the package name). */
  readonly documentName: string;
  /** The package version: the document VersionName and the manifest's `version`. */
  readonly versionName: string;
  /** manifest.json text read from the store; undefined when the store has none. */
  readonly manifest: string | undefined;
  /** contract sourceUrlOf(bucket, package, version): `s3://bucket/<pkg>/<version>`. */
  readonly sourceUrl: string;
  /** Document versions kept after pruning, 1-24. @default 10 */
  readonly retention?: number;
  /** Further VersionNames never pruned, e.g. the version the association still installs. */
  readonly keepVersionNames?: readonly string[];
}

export interface PairDeps {
  readonly backoff?: BackoffOptions;
  /** @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
  readonly pollIntervalMs?: number;
  /** How long to wait for Active before returning InProgress. */
  readonly pollTimeoutMs?: number;
}

export interface PrunedVersion {
  readonly documentVersion: string;
  readonly versionName?: string;
}

export type PackageVersionAction = "created" | "added" | "reused";

export type PackageVersionResult =
  | {
      /** The version is Active, the default, and old versions are pruned. */
      readonly state: "Active";
      readonly documentVersion: string;
      readonly action: PackageVersionAction;
      readonly pruned: readonly PrunedVersion[];
    }
  | {
      /** SSM is still copying the attachments: record the pair Pending and look again next pass. */
      readonly state: "InProgress";
      readonly documentVersion: string;
      readonly action: PackageVersionAction;
      readonly status: string;
      /** Versions deleted to make room before the add (only when the document was full). */
      readonly pruned?: readonly PrunedVersion[];
    };

function isInvalidDocument(error: unknown): boolean {
  return errorName(error) === "InvalidDocument";
}

/**
 * A version asked for by DocumentVersion or VersionName that does not exist. DescribeDocument lists both
 * InvalidDocument ("The specified SSM document doesn't exist") and InvalidDocumentVersion ("The document
 * version isn't valid or doesn't exist") among its errors (DescribeDocument API reference, Errors), and
 * which one a missing VersionName of an existing document gets is not documented: both mean "not there".
 */
function isMissingVersion(error: unknown): boolean {
  return isInvalidDocument(error) || errorName(error) === "InvalidDocumentVersion";
}

function manifestUrlOf(sourceUrl: string): string {
  return `${sourceUrl.replace(/\/+$/, "")}/manifest.json`;
}

function validate(input: PackageVersionInput): number {
  if (!DOCUMENT_NAME.test(input.documentName)) throw new PairInputError("documentName", input.documentName, `a document name matching ${DOCUMENT_NAME.source}`);
  if (!VERSION_NAME.test(input.versionName)) throw new PairInputError("versionName", input.versionName, `a VersionName matching ${VERSION_NAME.source}`);
  if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^/]+)+$/.test(input.sourceUrl)) {
    throw new PairInputError("sourceUrl", input.sourceUrl, "s3://<bucket>/<prefix> without empty segments");
  }
  const retention = input.retention ?? DEFAULT_RETENTION;
  if (!Number.isInteger(retention) || retention < 1 || retention > MAX_PACKAGE_VERSIONS - 1) {
    throw new PairInputError("retention", retention, `an integer from 1 to ${MAX_PACKAGE_VERSIONS - 1} (Distributor keeps at most ${MAX_PACKAGE_VERSIONS} versions and one is added before pruning)`);
  }
  return retention;
}

/** The manifest text, checked: JSON whose `version` is the VersionName (Distributor requires them equal). */
function checkedManifest(input: PackageVersionInput): string {
  const url = manifestUrlOf(input.sourceUrl);
  if (input.manifest === undefined) throw new ManifestMissingError(url);
  let parsed: unknown;
  try {
    parsed = JSON.parse(input.manifest);
  } catch (error) {
    throw new ManifestInvalidError(url, `not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const version = (parsed as { version?: unknown } | null)?.version;
  if (version !== input.versionName) throw new ManifestInvalidError(url, `its version ${JSON.stringify(version)} is not ${input.versionName}`);
  return input.manifest;
}

async function describe(ssm: SSMClient, name: string, select: { DocumentVersion?: string; VersionName?: string }, backoff?: BackoffOptions): Promise<DocumentDescription | undefined> {
  try {
    const response = await withBackoff(() => ssm.send(new DescribeDocumentCommand({ Name: name, ...select })), backoff);
    return response.Document;
  } catch (error) {
    const selected = select.DocumentVersion !== undefined || select.VersionName !== undefined;
    if (selected ? isMissingVersion(error) : isInvalidDocument(error)) return undefined;
    throw error;
  }
}

/** Every version of the document (ListDocumentVersions, all pages), oldest first by document version number. */
async function listDocumentVersions(ssm: SSMClient, documentName: string, backoff?: BackoffOptions): Promise<DocumentVersionInfo[]> {
  const versions: DocumentVersionInfo[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await withBackoff(
      () => ssm.send(new ListDocumentVersionsCommand({ Name: documentName, MaxResults: LIST_PAGE_SIZE, ...(token ? { NextToken: token } : {}) })),
      backoff,
    );
    versions.push(...(page.DocumentVersions ?? []));
    nextToken = page.NextToken || undefined;
  } while (nextToken);
  // Document version numbers are assigned in creation order, so they order by creation without
  // trusting CreatedDate resolution.
  return versions.sort((a, b) => Number(a.DocumentVersion) - Number(b.DocumentVersion));
}

/**
 * Deletes the oldest versions while more than `retention` remain, never the default version nor any
 * in `keep` (document versions). Returns what it deleted, oldest first.
 */
export async function pruneDocumentVersions(
  ssm: SSMClient,
  documentName: string,
  retention: number,
  keep: ReadonlySet<string>,
  backoff?: BackoffOptions,
): Promise<PrunedVersion[]> {
  const versions = await listDocumentVersions(ssm, documentName, backoff);
  return deleteOldest(ssm, documentName, versions, retention, keep, backoff);
}

/**
 * Deletes the oldest versions until the document holds fewer than MAX_PACKAGE_VERSIONS, so that one
 * more can be added; never the default version nor a version named in `keepVersionNames`. Returns what
 * it deleted, oldest first (nothing when there is room already).
 */
async function makeRoomForVersion(
  ssm: SSMClient,
  documentName: string,
  keepVersionNames: readonly string[],
  backoff?: BackoffOptions,
): Promise<PrunedVersion[]> {
  const versions = await listDocumentVersions(ssm, documentName, backoff);
  if (versions.length < MAX_PACKAGE_VERSIONS) return [];
  const keepNames = new Set(keepVersionNames);
  const keep = new Set(versions.filter((v) => v.VersionName !== undefined && keepNames.has(v.VersionName)).map((v) => v.DocumentVersion!));
  return deleteOldest(ssm, documentName, versions, MAX_PACKAGE_VERSIONS - 1, keep, backoff);
}

/** Deletes the oldest of `versions` (oldest first) while more than `retention` remain, skipping the default and `keep`. */
async function deleteOldest(
  ssm: SSMClient,
  documentName: string,
  versions: readonly DocumentVersionInfo[],
  retention: number,
  keep: ReadonlySet<string>,
  backoff?: BackoffOptions,
): Promise<PrunedVersion[]> {
  let remaining = versions.length;
  const pruned: PrunedVersion[] = [];
  for (const version of versions) {
    if (remaining <= retention) break;
    const documentVersion = version.DocumentVersion;
    if (documentVersion === undefined || version.IsDefaultVersion || keep.has(documentVersion)) continue;
    try {
      await withBackoff(() => ssm.send(new DeleteDocumentCommand({ Name: documentName, DocumentVersion: documentVersion })), backoff);
    } catch (error) {
      if (!isInvalidDocument(error)) throw error; // already gone: another run pruned it
    }
    pruned.push({ documentVersion, ...(version.VersionName ? { versionName: version.VersionName } : {}) });
    remaining--;
  }
  return pruned;
}

/** Creates the document or adds the version; returns its document version, what was done and what was deleted to make room. */
async function putVersion(
  ssm: SSMClient,
  input: PackageVersionInput,
  backoff?: BackoffOptions,
): Promise<{ documentVersion: string; action: PackageVersionAction; madeRoom: PrunedVersion[] }> {
  const { documentName: name, versionName, sourceUrl } = input;
  const attachments = [{ Key: "SourceUrl" as const, Values: [sourceUrl] }];
  const existing = await describe(ssm, name, {}, backoff);
  if (existing === undefined) {
    const content = checkedManifest(input);
    try {
      const created = await withBackoff(
        () =>
          ssm.send(
            new CreateDocumentCommand({ Name: name, Content: content, DocumentType: "Package", DocumentFormat: "JSON", VersionName: versionName, Attachments: attachments }),
          ),
        backoff,
      );
      return { documentVersion: created.DocumentDescription?.DocumentVersion ?? "1", action: "created", madeRoom: [] };
    } catch (error) {
      if (errorName(error) !== "DocumentAlreadyExists") throw error;
      // Created meanwhile (a concurrent run): continue as for an existing document.
    }
  }
  const same = await describe(ssm, name, { VersionName: versionName }, backoff);
  if (same?.DocumentVersion !== undefined) return { documentVersion: same.DocumentVersion, action: "reused", madeRoom: [] };
  const content = checkedManifest(input);
  const keepNames = input.keepVersionNames ?? [];
  // Version numbers only grow and a deleted one leaves a gap, so a document whose latest version number
  // is below the limit holds fewer versions than the limit: no listing is needed then.
  const latest = Number(same?.LatestVersion ?? existing?.LatestVersion ?? MAX_PACKAGE_VERSIONS);
  const madeRoom = !(latest < MAX_PACKAGE_VERSIONS) ? await makeRoomForVersion(ssm, name, keepNames, backoff) : [];
  for (let attempt = 1; ; attempt++) {
    try {
      const updated = await withBackoff(
        () =>
          ssm.send(
            new UpdateDocumentCommand({ Name: name, Content: content, Attachments: attachments, VersionName: versionName, DocumentVersion: "$LATEST", DocumentFormat: "JSON" }),
          ),
        backoff,
      );
      const documentVersion = updated.DocumentDescription?.DocumentVersion;
      if (documentVersion === undefined) throw new Error(`UpdateDocument ${name} returned no DocumentVersion`);
      return { documentVersion, action: "added", madeRoom };
    } catch (error) {
      const code = errorName(error);
      if (code === "DocumentVersionLimitExceeded" && attempt === 1) {
        // Filled meanwhile by a concurrent run (or the latest number undercounted): make room once more.
        const more = await makeRoomForVersion(ssm, name, keepNames, backoff);
        if (more.length === 0) throw error; // nothing may be deleted: the default and kept versions fill it
        madeRoom.push(...more);
        continue;
      }
      if (code !== "DuplicateDocumentVersionName") throw error;
      // Added meanwhile by a concurrent run: reuse it.
      const raced = await describe(ssm, name, { VersionName: versionName }, backoff);
      if (raced?.DocumentVersion === undefined) throw error;
      return { documentVersion: raced.DocumentVersion, action: "reused", madeRoom };
    }
  }
}

/**
 * Makes `versionName` an Active version of the member's Package document, the default version, and
 * prunes the document to `retention` versions. Returns InProgress (not an error) when SSM is still
 * processing the version after `pollTimeoutMs`; a later call picks it up as "reused". With
 * `pollTimeoutMs: 0` it never waits: one DescribeDocument, then Active or InProgress.
 */
export async function ensurePackageVersion(ssm: SSMClient, input: PackageVersionInput, deps: PairDeps = {}): Promise<PackageVersionResult> {
  const retention = validate(input);
  const { backoff } = deps;
  const wait = deps.sleep ?? realSleep;
  const now = deps.now ?? Date.now;
  const interval = deps.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const timeout = deps.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS;
  const name = input.documentName;

  const { documentVersion, action, madeRoom } = await putVersion(ssm, input, backoff);

  // Statuses: Creating | Active | Updating | Deleting | Failed (DocumentDescription.Status).
  const started = now();
  let description: DocumentDescription | undefined;
  for (;;) {
    description = await describe(ssm, name, { DocumentVersion: documentVersion }, backoff);
    if (description === undefined) throw new Error(`document ${name} version ${documentVersion} vanished while waiting for it`);
    const status = description.Status ?? "Active";
    if (status === "Active") break;
    if (status === "Failed" || status === "Deleting") {
      throw new DocumentVersionFailedError(name, documentVersion, status, description.StatusInformation);
    }
    if (timeout <= 0 || now() - started + interval > timeout) {
      return { state: "InProgress", documentVersion, action, status, ...(madeRoom.length > 0 ? { pruned: madeRoom } : {}) };
    }
    await wait(interval);
  }

  // The default version is what ad-hoc installs without a version get, and pruning never removes it.
  if (description.DefaultVersion !== documentVersion) {
    await withBackoff(() => ssm.send(new UpdateDocumentDefaultVersionCommand({ Name: name, DocumentVersion: documentVersion })), backoff);
  }

  const keep = new Set([documentVersion]);
  for (const keepName of input.keepVersionNames ?? []) {
    if (keepName === input.versionName) continue;
    const kept = await describe(ssm, name, { VersionName: keepName }, backoff);
    if (kept?.DocumentVersion !== undefined) keep.add(kept.DocumentVersion);
  }
  const pruned = await pruneDocumentVersions(ssm, name, retention, keep, backoff);
  return { state: "Active", documentVersion, action, pruned: [...madeRoom, ...pruned] };
}
