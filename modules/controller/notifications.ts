/**
 * Ring events (contract/notifications.ts) in the central account: the controller may put them on the
 * account's default event bus, and a rule on that bus routes them to an SNS topic and/or another event bus
 * when the fleet names one.
 *
 * - The controller role's statement (ringEventsStatement): events:PutEvents on the default bus ARN only,
 *   with `events:source` = aft-fleet. PutEvents supports the event-bus resource type and the events:source
 *   condition key (Service Authorization Reference, Amazon EventBridge, PutEvents; EventBridge User Guide,
 *   "Using IAM policy conditions in Amazon EventBridge": "To grant access to specific sources and event
 *   types, use the events:source and events:detail-type condition keys").
 * - SNS topic target: the topic's access policy lets events.amazonaws.com publish, only for this rule
 *   (`aws:SourceArn` = the rule ARN: EventBridge User Guide, "Using resource-based policies for Amazon
 *   EventBridge", Amazon SNS permissions). aws_sns_topic_policy replaces the topic's whole policy, so the
 *   topic must be one dedicated to these notifications, in the central account and home Region (the account
 *   that sets a topic's policy owns it); a KMS-encrypted topic's key must let events.amazonaws.com use it.
 * - Event bus target (another account or Region): EventBridge sends with a role it assumes (EventBridge User
 *   Guide, "Sending and receiving events between AWS accounts" and "between AWS Regions": the rule's target
 *   needs an IAM role with events:PutEvents on the target bus); the target bus's own policy must admit the
 *   central account (its owner sets it).
 */
import { Construct } from "constructs";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { NOTIFICATION_SOURCE, RING_EVENT_TYPES } from "../../contract/notifications";
import { EVENT_BUS_ARN, SNS_TOPIC_ARN } from "../../contract/patterns";
import { tfLiteral } from "../core/literal";
import { fleetTags, partitionOf } from "../core/tags";
import { policyDocument, toJson, trustPolicy, type PolicyStatement } from "../iam/policy";

/** The rule on the central default bus that matches every aft-fleet ring event. */
export const RING_EVENTS_RULE_NAME = "aft-fleet-ring-events";
/** The role EventBridge assumes to forward the events to another event bus. */
export const RING_EVENTS_FORWARD_ROLE_NAME = "aft-fleet-ring-events-forward";

/** The account's default event bus (EventBridge resource type event-bus: arn:<partition>:events:<region>:<account>:event-bus/<name>). */
function defaultBusArn(partition: string, region: string, accountId: string): string {
  return `arn:${partition}:events:${region}:${accountId}:event-bus/default`;
}

/** The controller role's PutEvents grant: the central default bus only, source aft-fleet only. */
export function ringEventsStatement(partition: string, region: string, accountId: string): PolicyStatement {
  return {
    Sid: "PublishRingEvents",
    Effect: "Allow",
    Action: "events:PutEvents",
    Resource: defaultBusArn(partition, region, accountId),
    Condition: { StringEquals: { "events:source": NOTIFICATION_SOURCE } },
  };
}

/** The rule's event pattern: source aft-fleet, the ring event detail-types. */
function ringEventPattern(): { source: string[]; "detail-type": string[] } {
  return { source: [NOTIFICATION_SOURCE], "detail-type": [...RING_EVENT_TYPES] };
}

export interface RingNotificationsProps {
  /** The central account. */
  readonly accountId: string;
  /** Home Region: the controller, its default bus and the rule. */
  readonly region: string;
  /** SNS topic for the events: in the central account and home Region, dedicated to them (its policy is set here). */
  readonly notifyTopicArn?: string;
  /** Event bus for the events (e.g. an operations account's bus); not the central default bus itself. */
  readonly notifyBusArn?: string;
}


/**
 * The rule that matches ring events on the central default bus and, when given, its SNS topic and event
 * bus targets. Refuses at synth a topic outside the central account and home Region, a malformed ARN, and
 * the default bus as its own target.
 */
export class RingNotifications extends Construct {
  readonly rule: CloudwatchEventRule;
  readonly ruleArn: string;

  constructor(scope: Construct, id: string, props: RingNotificationsProps) {
    super(scope, id);
    const { accountId, region } = props;
    const partition = partitionOf(region);
    const tags = fleetTags({ "aft-fleet:role": "ring-notifications" });
    this.ruleArn = `arn:${partition}:events:${region}:${accountId}:rule/${RING_EVENTS_RULE_NAME}`;

    this.rule = new CloudwatchEventRule(this, "Rule", {
      region,
      name: RING_EVENTS_RULE_NAME,
      description: "aft-fleet: ring events of the rollout controller (started, reached a version, held, pairs failed)",
      eventBusName: "default",
      eventPattern: JSON.stringify(ringEventPattern()),
      tags,
    });

    if (props.notifyTopicArn !== undefined) {
      const topic = SNS_TOPIC_ARN.exec(props.notifyTopicArn);
      if (!topic) throw new Error(`RingNotifications: notifyTopicArn ${JSON.stringify(props.notifyTopicArn)} is not an SNS topic ARN`);
      if (topic[2] !== region || topic[3] !== accountId) {
        throw new Error(
          `RingNotifications: notifyTopicArn ${props.notifyTopicArn} is not in the central account ${accountId} and home Region ${region}; aft-fleet sets the topic's policy, which only its owner can: route to another account or Region with notifyBusArn`,
        );
      }
      const topicArn = tfLiteral(props.notifyTopicArn);
      const topicPolicy = new SnsTopicPolicy(this, "TopicPolicy", {
        region,
        arn: topicArn,
        policy: toJson(
          policyDocument({
            Sid: "RingEventsRulePublishes",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sns:Publish",
            Resource: topicArn,
            Condition: { ArnEquals: { "aws:SourceArn": this.ruleArn } },
          }),
        ),
      });
      new CloudwatchEventTarget(this, "TopicTarget", {
        region,
        rule: this.rule.name,
        eventBusName: "default",
        targetId: "aft-fleet-topic",
        arn: topicArn,
        dependsOn: [topicPolicy],
      });
    }

    if (props.notifyBusArn !== undefined) {
      const bus = EVENT_BUS_ARN.exec(props.notifyBusArn);
      if (!bus) throw new Error(`RingNotifications: notifyBusArn ${JSON.stringify(props.notifyBusArn)} is not an event bus ARN`);
      if (props.notifyBusArn === defaultBusArn(partition, region, accountId) || (bus[2] === region && bus[3] === accountId && bus[4] === "default")) {
        throw new Error(`RingNotifications: notifyBusArn ${props.notifyBusArn} is the bus the rule is on; name another account's or Region's bus`);
      }
      const busArn = tfLiteral(props.notifyBusArn);
      const role = new IamRole(this, "ForwardRole", {
        name: RING_EVENTS_FORWARD_ROLE_NAME,
        description: "aft-fleet: EventBridge forwards the controller's ring events from the central default bus to the configured event bus",
        assumeRolePolicy: toJson(
          trustPolicy({
            Sid: "RingEventsRuleForwards",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": accountId, "aws:SourceArn": this.ruleArn } },
          }),
        ),
        tags,
      });
      const policy = new IamRolePolicy(this, "ForwardPolicy", {
        name: "forward-ring-events",
        role: role.id,
        policy: toJson(policyDocument({ Sid: "PutOnTargetBus", Effect: "Allow", Action: "events:PutEvents", Resource: busArn })),
      });
      new CloudwatchEventTarget(this, "BusTarget", {
        region,
        rule: this.rule.name,
        eventBusName: "default",
        targetId: "aft-fleet-bus",
        arn: busArn,
        roleArn: role.arn,
        dependsOn: [policy],
      });
    }
  }
}
