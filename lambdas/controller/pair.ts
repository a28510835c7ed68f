/**
 * Per-pair operations of the rollout controller: everything done in one member account and Region.
 *
 *   const ssm = await memberSsm(sts, { account, partition: partitionOf(region), roleName: EXECUTION_ROLE_NAME, sessionName: runId }, region);
 *   const doc = await ensurePackageVersion(ssm, { documentName, versionName, manifest, sourceUrl, retention });
 *   if (doc.state === "Active") {
 *     const assoc = await ensureAssociation(ssm, { ...spec.association, documentName, version: versionName });
 *     // later: readAssociationStatus(ssm, assoc.associationId, assoc.associationVersion)
 *   }
 *
 * Failures are typed (pair-errors.ts): NotReadyError -> the pair is NotReady; the rest -> Failed.
 * Every AWS call goes through withBackoff (shared/retry.ts) for throttling.
 */
export * from "./pair-errors";
export * from "./pair-credentials";
export * from "./pair-document";
export * from "./pair-association";
