/**
 * Package rings: make the wanted version an Active version of the member's Package document, then point
 * the member association (AWS-ConfigureAWSPackage) at it and read back its execution.
 *
 * The pair never waits for SSM to copy a new version's attachments: while the version is Creating it is
 * recorded Pending with its document version and no association, and the next pass picks it up (the
 * version is then reused by VersionName, never added twice).
 */
import { packageDocumentNameOf, sourceUrlOf, type PairRecord, type RingSpec } from "../../../contract";
import { ensureAssociation, ensurePackageVersion, readAssociationStatus, startOnce } from "../pair";
import { restart, succeeded, withoutError, type Job } from "./types";

function withoutAssociation(pair: PairRecord): PairRecord {
  const { associationId: _id, associationVersion: _version, ...rest } = withoutError(pair);
  return rest;
}

export const packageJob: Job<RingSpec> = {
  async start(ctx, spec, pair) {
    const version = pair.wanted!;
    const attempts = pair.attempts + 1;
    const at = ctx.now.toISOString();
    const documentName = packageDocumentNameOf(spec.package);
    try {
      const ssm = await ctx.memberSsm(pair.account, pair.region);
      const document = await ensurePackageVersion(
        ssm,
        {
          documentName,
          versionName: version,
          manifest: await ctx.manifest(spec.package, version),
          sourceUrl: sourceUrlOf(spec.store.bucket, spec.package, version),
          retention: spec.versionRetention,
          ...(pair.applied !== undefined && pair.applied !== version ? { keepVersionNames: [pair.applied] } : {}),
        },
        { ...ctx.pair, ...ctx.backoff, pollTimeoutMs: 0 },
      );
      const rest = withoutAssociation(pair);
      if (document.state === "InProgress") return { ...rest, status: "Pending", attempts, documentVersion: document.documentVersion, updatedAt: at };
      const association = await ensureAssociation(ssm, { ...spec.association, documentName, version }, ctx.backoff);
      if (association.action === "unchanged" && (association.lastStatus === "Failed" || pair.error !== undefined)) {
        await startOnce(ssm, association.associationId, ctx.backoff);
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
      return ctx.failure(pair, error, attempts);
    }
  },

  async readBack(ctx, _spec, pair) {
    // The document version was still being processed: start the pair again (it reuses the version).
    if (pair.associationId === undefined || pair.associationVersion === undefined) return restart(pair, ctx);
    try {
      const ssm = await ctx.memberSsm(pair.account, pair.region);
      const status = await readAssociationStatus(ssm, pair.associationId, pair.associationVersion, ctx.backoff);
      if (status.status === "Pending") return undefined;
      if (status.status === "Succeeded") return succeeded(pair, ctx);
      return { ...pair, status: "Failed", error: status.detail, updatedAt: ctx.now.toISOString() };
    } catch (error) {
      return ctx.failure(pair, error, pair.attempts);
    }
  },
};
