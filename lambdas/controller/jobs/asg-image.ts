/** Auto Scaling images: find the groups, start an image automation per group, then refresh each group. */
import type { AsgImageRingSpec, ImageGroupStep, PairRecord } from "../../../contract";
import { advanceImageGroup, imagePairOutcome, startImageGroups } from "../job-asg-image";
import { restart, withoutError, type Job, type PairContext } from "./types";

/** The pair after its groups moved on: Pending, Succeeded or Failed. */
function imagePair(ctx: PairContext, pair: PairRecord, groups: readonly ImageGroupStep[], attempts: number): PairRecord {
  const outcome = imagePairOutcome(groups);
  const { note: _note, ...rest } = withoutError(pair);
  const at = ctx.now.toISOString();
  if (outcome.status === "Pending") return { ...rest, status: "Pending", attempts, groups, updatedAt: at };
  if (outcome.status === "Succeeded") {
    return { ...rest, status: "Succeeded", attempts, groups, ...(outcome.note ? { note: outcome.note } : {}), ...(pair.wanted !== undefined ? { applied: pair.wanted } : {}), updatedAt: at };
  }
  return { ...rest, status: "Failed", attempts, groups, error: outcome.error!, updatedAt: at };
}

export const asgImageJob: Job<AsgImageRingSpec> = {
  async start(ctx, spec, pair) {
    const attempts = pair.attempts + 1;
    try {
      const clients = await ctx.imageClients(pair.account, pair.region);
      // attempts > 0: a retry at the same campaign (plan resets attempts when `wanted` changes).
      const done = new Map(pair.attempts > 0 ? (pair.groups ?? []).filter((g) => g.phase === "Succeeded").map((g) => [g.group, g] as const) : []);
      const groups = await startImageGroups(clients, spec.image, { account: pair.account, partition: ctx.partition }, ctx.backoff, done);
      return imagePair(ctx, pair, groups, attempts);
    } catch (error) {
      return ctx.failure(pair, error, attempts);
    }
  },

  async readBack(ctx, spec, pair) {
    if (pair.groups === undefined) return restart(pair, ctx);
    try {
      const clients = await ctx.imageClients(pair.account, pair.region);
      const groups: ImageGroupStep[] = [];
      // One group after the other: calls within one account and Region stay in order.
      for (const step of pair.groups) groups.push(await advanceImageGroup(clients, spec.image, step, ctx.backoff));
      if (JSON.stringify(groups) === JSON.stringify(pair.groups)) return undefined;
      return imagePair(ctx, pair, groups, pair.attempts);
    } catch (error) {
      return ctx.failure(pair, error, pair.attempts);
    }
  },
};
