/** Emergency patching: SendCommand AWS-RunPatchBaseline; Pending with the CommandId until ListCommands says it ended. */
import type { EmergencyPatchRingSpec } from "../../../contract";
import { readCommandStatus, sendPatchCommand } from "../job-emergency-patch";
import { restart, succeeded, withoutError, type Job } from "./types";

export const emergencyPatchJob: Job<EmergencyPatchRingSpec> = {
  async start(ctx, spec, pair) {
    const attempts = pair.attempts + 1;
    try {
      const ssm = await ctx.memberSsm(pair.account, pair.region);
      const commandId = await sendPatchCommand(ssm, spec.command, `aft-fleet emergency ${pair.wanted!} ring ${spec.ring}`, ctx.backoff);
      return { ...withoutError(pair), status: "Pending", attempts, commandId, updatedAt: ctx.now.toISOString() };
    } catch (error) {
      return ctx.failure(pair, error, attempts);
    }
  },

  async readBack(ctx, _spec, pair) {
    if (pair.commandId === undefined) return restart(pair, ctx);
    try {
      const ssm = await ctx.memberSsm(pair.account, pair.region);
      const status = await readCommandStatus(ssm, pair.commandId, ctx.backoff);
      if (status.status === "Pending") return undefined;
      if (status.status === "Succeeded") return succeeded(pair, ctx);
      return { ...pair, status: "Failed", error: status.detail, updatedAt: ctx.now.toISOString() };
    } catch (error) {
      return ctx.failure(pair, error, pair.attempts);
    }
  },
};
