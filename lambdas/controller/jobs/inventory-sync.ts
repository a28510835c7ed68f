/**
 * Inventory: make the member's resource data sync exist with the spec's destination, then read back its
 * LastStatus (ListResourceDataSync): a sync that delivers nothing shows as Failed, not as done at create.
 */
import type { InventorySyncRingSpec } from "../../../contract";
import { ensureInventorySync, readInventorySyncStatus } from "../job-inventory-sync";
import { succeeded, withoutError, type Job } from "./types";

/**
 * A sync that reports no status this long after the pair started fails with the reason. AWS documents no
 * bound for the first sync (CreateResourceDataSync "returns immediately"; the User Guide's walkthrough
 * expects inventory in the bucket "within a few minutes"); an hour keeps a sync that never runs from
 * holding a ring slot for ever.
 */
const SYNC_STATUS_TIMEOUT_MS = 60 * 60 * 1000;

export const inventorySyncJob: Job<InventorySyncRingSpec> = {
  async start(ctx, spec, pair) {
    const attempts = pair.attempts + 1;
    try {
      const ssm = await ctx.memberSsm(pair.account, pair.region);
      await ensureInventorySync(ssm, spec.sync, ctx.backoff);
      return { ...withoutError(pair), status: "Pending", attempts, updatedAt: ctx.now.toISOString() };
    } catch (error) {
      return ctx.failure(pair, error, attempts);
    }
  },

  async readBack(ctx, spec, pair) {
    try {
      const ssm = await ctx.memberSsm(pair.account, pair.region);
      const status = await readInventorySyncStatus(ssm, spec.sync.name, ctx.backoff);
      if (status.status === "Succeeded") return succeeded(pair, ctx);
      if (status.status === "Failed") return { ...pair, status: "Failed", error: `resource data sync: ${status.detail ?? "failed"}`, updatedAt: ctx.now.toISOString() };
      if (ctx.now.getTime() - Date.parse(pair.updatedAt) > SYNC_STATUS_TIMEOUT_MS) {
        return { ...pair, status: "Failed", error: `resource data sync reported no status within ${SYNC_STATUS_TIMEOUT_MS / 60_000} min of its creation`, updatedAt: ctx.now.toISOString() };
      }
      return undefined;
    } catch (error) {
      return ctx.failure(pair, error, pair.attempts);
    }
  },
};
