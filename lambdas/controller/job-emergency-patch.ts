/**
 * Emergency patching in one account and Region: one SendCommand of AWS-RunPatchBaseline to the ring's
 * node targets, read back with ListCommands by CommandId.
 *
 * - SendCommand Targets select nodes by tag; they cannot exclude ("tag not equal"), so the spec's targets
 *   name the environment tag values the maintenance windows use (opt-out and untagged nodes are in none).
 * - MaxConcurrency / MaxErrors bound the nodes within the account and Region (SendCommand API reference).
 * - Command Status: Pending | InProgress | Success | Cancelled | Failed | TimedOut | Cancelling
 *   (ListCommands API reference, Command.Status). A command that matched no node ends Success with
 *   TargetCount 0: nothing to patch there.
 * - A pass killed between SendCommand and its journal write sends the command again next time;
 *   AWS-RunPatchBaseline is idempotent on a node (Scan reports, Install installs only what is missing).
 *
 * AWS API actions: ssm:SendCommand (the document and this account's instances / managed instances),
 * ssm:ListCommands, ssm:ListCommandInvocations (which nodes failed, for the pair's error).
 */
import { ListCommandInvocationsCommand, ListCommandsCommand, SendCommandCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { ASSOCIATION_TARGETS_MAX, ASSOCIATION_TARGET_VALUES_MAX, MAX_CONCURRENCY, MAX_ERRORS, RUN_PATCH_BASELINE_DOCUMENT, type EmergencyPatchRingSpec } from "../../contract";
import { withBackoff, type BackoffOptions } from "../shared/retry";
import { PairInputError } from "./pair-errors";

export type CommandState = "Pending" | "Succeeded" | "Failed";

const PENDING: ReadonlySet<string> = new Set(["Pending", "InProgress", "Cancelling"]);

function check(field: string, value: unknown, ok: boolean, allowed: string): void {
  if (!ok) throw new PairInputError(field, value, allowed);
}

/** Sends AWS-RunPatchBaseline; returns the CommandId. `comment` names the campaign (at most 100 characters). */
export async function sendPatchCommand(ssm: SSMClient, command: EmergencyPatchRingSpec["command"], comment: string, deps: { backoff?: BackoffOptions } = {}): Promise<string> {
  check("command.operation", command.operation, command.operation === "Scan" || command.operation === "Install", "Scan or Install");
  check("command.rebootOption", command.rebootOption, command.rebootOption === "RebootIfNeeded" || command.rebootOption === "NoReboot", "RebootIfNeeded or NoReboot");
  check("command.targets", command.targets, command.targets.length >= 1 && command.targets.length <= ASSOCIATION_TARGETS_MAX, `1 to ${ASSOCIATION_TARGETS_MAX} targets`);
  command.targets.forEach((t, i) => check(`command.targets[${i}].Values`, t.Values, t.Values.length >= 1 && t.Values.length <= ASSOCIATION_TARGET_VALUES_MAX, `1 to ${ASSOCIATION_TARGET_VALUES_MAX} values`));
  check("command.maxConcurrency", command.maxConcurrency, MAX_CONCURRENCY.test(command.maxConcurrency), `a value matching ${MAX_CONCURRENCY.source}`);
  check("command.maxErrors", command.maxErrors, MAX_ERRORS.test(command.maxErrors), `a value matching ${MAX_ERRORS.source}`);
  const sent = await withBackoff(
    () =>
      ssm.send(
        new SendCommandCommand({
          DocumentName: RUN_PATCH_BASELINE_DOCUMENT,
          Targets: command.targets.map((t) => ({ Key: t.Key, Values: [...t.Values] })),
          Parameters: { Operation: [command.operation], RebootOption: [command.rebootOption] },
          MaxConcurrency: command.maxConcurrency,
          MaxErrors: command.maxErrors,
          Comment: comment.slice(0, 100),
        }),
      ),
    deps.backoff,
  );
  const id = sent.Command?.CommandId;
  if (!id) throw new Error("SendCommand returned no CommandId");
  return id;
}

/** Where the command is: Pending while it runs, Succeeded on Success, Failed otherwise (detail says why). */
export async function readCommandStatus(ssm: SSMClient, commandId: string, deps: { backoff?: BackoffOptions } = {}): Promise<{ status: CommandState; detail: string }> {
  const listed = await withBackoff(() => ssm.send(new ListCommandsCommand({ CommandId: commandId })), deps.backoff);
  const command = (listed.Commands ?? []).find((c) => c.CommandId === commandId);
  if (command === undefined) return { status: "Failed", detail: `command ${commandId} not found` };
  const status = command.Status ?? "Pending";
  const counts = `targets ${command.TargetCount ?? "?"}, completed ${command.CompletedCount ?? "?"}, errors ${command.ErrorCount ?? "?"}`;
  const detail = `command ${commandId}: ${status}${command.StatusDetails && command.StatusDetails !== status ? ` (${command.StatusDetails})` : ""}; ${counts}`;
  if (PENDING.has(status)) return { status: "Pending", detail };
  if (status === "Success") return { status: "Succeeded", detail };
  return { status: "Failed", detail: `${detail}${await failedNodes(ssm, commandId, deps.backoff)}` };
}

/** `; failed nodes: i-1 (Failed), ...` for the first page of the command's unsuccessful invocations. */
async function failedNodes(ssm: SSMClient, commandId: string, backoff?: BackoffOptions): Promise<string> {
  const page = await withBackoff(() => ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, MaxResults: 50 })), backoff);
  const failed = (page.CommandInvocations ?? []).filter((i) => i.Status !== "Success").slice(0, 5);
  return failed.length === 0 ? "" : `; failed nodes: ${failed.map((i) => `${i.InstanceId ?? "?"} (${i.Status ?? "?"})`).join(", ")}`;
}
