/** Inventory: make the member's resource data sync exist with the spec's destination. */
import type { InventorySyncRingSpec } from "../../../contract";
import { ensureInventorySync } from "../job-inventory-sync";
import { restart, succeeded, withoutError, type Job } from "./types";

export const inventorySyncJob: Job<InventorySyncRingSpec> = {
  async start(ctx, spec, pair) {
    const attempts = pair.attempts + 1;
    try {
      const ssm = await ctx.memberSsm(pair.account, pair.region);
      await ensureInventorySync(ssm, spec.sync, ctx.backoff);
      return succeeded(withoutError(pair), ctx, { attempts });
    } catch (error) {
      return ctx.failure(pair, error, attempts);
    }
  },

  readBack(ctx, _spec, pair) {
    return Promise.resolve(restart(pair, ctx));
  },
};
