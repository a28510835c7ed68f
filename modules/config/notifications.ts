/**
 * `notifications`: where the controller's ring events (ring started, reached a version, held, pairs failed;
 * contract/notifications.ts) go besides the central account's default event bus, where a rule always
 * matches them. An SNS topic must be in the central account and home Region, because aft-fleet sets its
 * policy (only the topic's owner can: SNS SetTopicAttributes); another account's or Region's bus takes the
 * events through a forwarding role.
 */
import { z } from "zod";
import { EVENT_BUS_ARN, SNS_TOPIC_ARN } from "../../contract/patterns";
import type { ConfigIssue } from "./errors";

export const NotificationsSchema = z
  .strictObject({
    topicArn: z
      .string()
      .regex(SNS_TOPIC_ARN, { error: "an SNS topic ARN arn:<partition>:sns:<Region>:<account>:<name>" })
      .optional()
      .describe("SNS topic in the central account and home Region that receives every ring event (aft-fleet sets its policy: dedicate the topic to these events)."),
    busArn: z
      .string()
      .regex(EVENT_BUS_ARN, { error: "an EventBridge event bus ARN arn:<partition>:events:<Region>:<account>:event-bus/<name>" })
      .optional()
      .describe("Event bus (e.g. an operations account's) that receives every ring event; not the central account's default bus, where the events already are."),
  })
  .describe("Where the controller's ring events go besides the central default event bus (rule aft-fleet-ring-events).");

export type NotificationsConfig = z.infer<typeof NotificationsSchema>;

export interface Notifications {
  readonly topicArn?: string;
  readonly busArn?: string;
}

/** Checks the targets against the central account and home Region; undefined without the section. */
export function resolveNotifications(cfg: NotificationsConfig | undefined, central: { readonly account: string; readonly region: string }, issues: ConfigIssue[]): Notifications | undefined {
  if (cfg === undefined) return undefined;
  if (cfg.topicArn !== undefined) {
    const [, , region, account] = SNS_TOPIC_ARN.exec(cfg.topicArn)!;
    if (account !== central.account || region !== central.region) {
      issues.push({
        path: "notifications.topicArn",
        value: cfg.topicArn,
        allowed: `a topic in the central account ${central.account} and home Region ${central.region} (aft-fleet sets its policy); for another account or Region use notifications.busArn`,
      });
    }
  }
  if (cfg.busArn !== undefined) {
    const [, , region, account, name] = EVENT_BUS_ARN.exec(cfg.busArn)!;
    if (account === central.account && region === central.region && name === "default") {
      issues.push({ path: "notifications.busArn", value: cfg.busArn, allowed: "another bus than the central account's default bus in the home Region (the events are already there)" });
    }
  }
  return { ...(cfg.topicArn !== undefined ? { topicArn: cfg.topicArn } : {}), ...(cfg.busArn !== undefined ? { busArn: cfg.busArn } : {}) };
}
