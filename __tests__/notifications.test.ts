/**
 * The central tree's ring notifications and rollout dashboard: the example's synthesized tree has the
 * EventBridge rule, the controller's PutEvents grant and the dashboard with its widgets per ring; the
 * construct's SNS topic and event bus targets; config text as literal data in the dashboard body.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, Testing, TerraformStack } from "cdktf";
import { CentralStack } from "../account-customizations/central";
import { NOTIFICATION_SOURCE, RING_EVENT_TYPES } from "../contract/notifications";
import { FAILED_TARGETS_METRIC, INVENTORY_JOB, INVENTORY_RING, METRIC_NAMESPACE } from "../contract/names";
import { PAIR_METRIC_STATUSES, PAIRS_BY_STATUS_METRIC, RING_HELD_METRIC } from "../contract/metrics";
import { ConfigError, loadConfig } from "../modules/config";
import { baseConfig, makeFixture } from "./helpers/fixture";
import { readTemplate } from "../modules/core/literal";
import { DASHBOARD_NAME, MAX_DASHBOARD_WIDGETS, RolloutDashboard, dashboardBody, dashboardRingsOf } from "../modules/controller/dashboard";
import { RING_EVENTS_FORWARD_ROLE_NAME, RING_EVENTS_RULE_NAME, RingNotifications } from "../modules/controller/notifications";

const bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), "aft-fleet-bundle-"));
fs.mkdirSync(path.join(bundleDir, "controller"));
fs.writeFileSync(path.join(bundleDir, "controller", "index.js"), "exports.handler = async () => ({});\n");
afterAll(() => fs.rmSync(bundleDir, { recursive: true, force: true }));

const CENTRAL = "222222222222";
const model = loadConfig();
const props = { homeRegion: model.organization.homeRegion, mode: "aft" as const };

function synth(build: (app: App) => unknown): any {
  const app = Testing.app({ fakeCdktfJsonPath: true });
  return JSON.parse(Testing.synth(build(app) as any));
}

const central = synth((app) => new CentralStack(app, "central", model, props, { lambdaBundleDir: bundleDir }));
const only = (type: string): any[] => Object.values<any>(central.resource[type] ?? {});

describe("the example's central tree", () => {
  it("has the rule on the default bus matching source aft-fleet and the ring event types, and no target without a topic or bus", () => {
    const rules = only("aws_cloudwatch_event_rule");
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ name: RING_EVENTS_RULE_NAME, event_bus_name: "default", region: "us-east-1", description: expect.stringMatching(/^aft-fleet: /) });
    expect(JSON.parse(rules[0].event_pattern)).toEqual({ source: [NOTIFICATION_SOURCE], "detail-type": ["Ring Started", "Ring Reached Version", "Ring Held", "Pairs Failed"] });
    expect(RING_EVENT_TYPES).toEqual(["Ring Started", "Ring Reached Version", "Ring Held", "Pairs Failed"]);
    expect(central.resource.aws_cloudwatch_event_target).toBeUndefined();
    expect(central.resource.aws_sns_topic_policy).toBeUndefined();
  });

  // EventBridge: PutEvents takes the event-bus resource and the events:source condition key
  // (Service Authorization Reference, Amazon EventBridge; User Guide, "Using IAM policy conditions in Amazon EventBridge").
  it("lets the controller role put events on the central default bus only, with source aft-fleet only", () => {
    const policies = only("aws_iam_role_policy").map((p) => JSON.parse(p.policy));
    const controller = policies.find((p) => p.Statement.some((s: any) => s.Sid === "AssumeMemberExecutionRoles"));
    const grants = policies.flatMap((p) => p.Statement).filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith("events:")));
    expect(grants).toEqual([
      {
        Sid: "PublishRingEvents",
        Effect: "Allow",
        Action: "events:PutEvents",
        Resource: `arn:aws:events:us-east-1:${CENTRAL}:event-bus/default`,
        Condition: { StringEquals: { "events:source": "aft-fleet" } },
      },
    ]);
    expect(controller.Statement.map((s: any) => s.Sid)).toContain("PublishRingEvents");
  });

  it("has the aft-fleet-rollouts dashboard with PairsByStatus, RingHeld and FailedTargets widgets for every ring it runs", () => {
    const dashboards = only("aws_cloudwatch_dashboard");
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]).toMatchObject({ dashboard_name: DASHBOARD_NAME, region: "us-east-1" });
    const body = JSON.parse(dashboards[0].dashboard_body);
    const rings = dashboardRingsOf(model);
    // The example: ExampleAgent canary and broad, and the inventory sync job of its patching section.
    expect(rings).toEqual([
      { package: "ExampleAgent", ring: "canary" },
      { package: "ExampleAgent", ring: "broad" },
      { package: INVENTORY_JOB, ring: INVENTORY_RING },
    ]);
    // The ring specs the tree uploads are exactly these rings.
    const specKeys = only("aws_s3_object").map((o) => o.key).filter((k: string) => k.startsWith("controller/"));
    expect(specKeys.sort()).toEqual(rings.map((r) => `controller/${r.package}/${r.ring}.json`).sort());

    const metricWidgets = body.widgets.filter((w: any) => w.type === "metric");
    expect(metricWidgets).toHaveLength(3 * rings.length);
    for (const ring of rings) {
      const dims = ["Package", ring.package, "Ring", ring.ring];
      const mine = metricWidgets.filter((w: any) => w.properties.metrics.every((row: any[]) => row[3] === ring.package && row[5] === ring.ring));
      expect(mine).toHaveLength(3);
      const [byStatus, held, failed] = mine;
      expect(byStatus.properties).toMatchObject({ region: "us-east-1", stacked: true, view: "timeSeries", title: `${ring.package} / ${ring.ring}: pairs by status` });
      expect(byStatus.properties.metrics.map((row: any[]) => row.slice(0, 8))).toEqual(PAIR_METRIC_STATUSES.map((s) => [METRIC_NAMESPACE, PAIRS_BY_STATUS_METRIC, ...dims, "Status", s]));
      expect(held.properties.metrics.map((row: any[]) => row.slice(0, 6))).toEqual([[METRIC_NAMESPACE, RING_HELD_METRIC, ...dims]]);
      expect(failed.properties.metrics.map((row: any[]) => row.slice(0, 6))).toEqual([[METRIC_NAMESPACE, FAILED_TARGETS_METRIC, ...dims]]);
      // One row of the 24-column grid: 12 + 6 + 6, side by side.
      expect(mine.map((w: any) => [w.x, w.width])).toEqual([[0, 12], [12, 6], [18, 6]]);
      expect(new Set(mine.map((w: any) => w.y)).size).toBe(1);
    }
    // A header per package (and per controller job).
    expect(body.widgets.filter((w: any) => w.type === "text").map((w: any) => w.properties.markdown)).toEqual(["## ExampleAgent", `## ${INVENTORY_JOB}`]);
    for (const w of body.widgets) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      expect(w.height).toBeGreaterThan(0);
    }
  });
});

describe("RingNotifications targets", () => {
  function tree(p: { notifyTopicArn?: string; notifyBusArn?: string }): any {
    return synth((app) => {
      const stack = new TerraformStack(app, "n");
      new RingNotifications(stack, "RingNotifications", { accountId: CENTRAL, region: "us-east-1", ...p });
      return stack;
    });
  }
  const RULE_ARN = `arn:aws:events:us-east-1:${CENTRAL}:rule/${RING_EVENTS_RULE_NAME}`;

  it("an SNS topic of the central account: a target, and a topic policy that admits EventBridge for this rule only", () => {
    const topic = `arn:aws:sns:us-east-1:${CENTRAL}:aft-fleet-rollouts`;
    const t = tree({ notifyTopicArn: topic });
    const targets = Object.values<any>(t.resource.aws_cloudwatch_event_target);
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({ arn: topic, event_bus_name: "default", rule: expect.stringContaining("aws_cloudwatch_event_rule.") });
    expect(targets[0].role_arn).toBeUndefined();
    const policy = JSON.parse(Object.values<any>(t.resource.aws_sns_topic_policy)[0].policy);
    // SNS target permissions: the topic policy lets events.amazonaws.com publish, narrowed by aws:SourceArn.
    expect(policy.Statement).toEqual([
      { Sid: "RingEventsRulePublishes", Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sns:Publish", Resource: topic, Condition: { ArnEquals: { "aws:SourceArn": RULE_ARN } } },
    ]);
    expect(t.resource.aws_iam_role).toBeUndefined();
  });

  it("another account's event bus: a target with a role EventBridge assumes for this rule, allowed PutEvents on that bus only", () => {
    const bus = "arn:aws:events:eu-west-1:999999999999:event-bus/operations";
    const t = tree({ notifyBusArn: bus });
    const target = Object.values<any>(t.resource.aws_cloudwatch_event_target)[0];
    expect(target).toMatchObject({ arn: bus, role_arn: expect.stringContaining("aws_iam_role.") });
    const role = Object.values<any>(t.resource.aws_iam_role)[0];
    expect(role.name).toBe(RING_EVENTS_FORWARD_ROLE_NAME);
    expect(role.description).toMatch(/^aft-fleet: /);
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      { Sid: "RingEventsRuleForwards", Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": CENTRAL, "aws:SourceArn": RULE_ARN } } },
    ]);
    expect(JSON.parse(Object.values<any>(t.resource.aws_iam_role_policy)[0].policy).Statement).toEqual([{ Sid: "PutOnTargetBus", Effect: "Allow", Action: "events:PutEvents", Resource: bus }]);
  });

  it("refuses a topic it cannot set the policy of, malformed ARNs and the rule's own bus", () => {
    expect(() => tree({ notifyTopicArn: "arn:aws:sns:eu-west-1:222222222222:t" })).toThrow("is not in the central account 222222222222 and home Region us-east-1");
    expect(() => tree({ notifyTopicArn: "arn:aws:sns:us-east-1:999999999999:t" })).toThrow("route to another account or Region with notifyBusArn");
    expect(() => tree({ notifyTopicArn: "aft-fleet-topic" })).toThrow("is not an SNS topic ARN");
    expect(() => tree({ notifyBusArn: "arn:aws:events:us-east-1:222222222222:rule/x" })).toThrow("is not an event bus ARN");
    expect(() => tree({ notifyBusArn: `arn:aws:events:us-east-1:${CENTRAL}:event-bus/default` })).toThrow("is the bus the rule is on");
  });
});

describe("dashboardBody", () => {
  it("keeps ring names literal for Terraform", () => {
    const t = synth((app) => {
      const stack = new TerraformStack(app, "d");
      new RolloutDashboard(stack, "RolloutDashboard", { region: "us-east-1", rings: [{ package: "Pkg", ring: "r${aws_x.y}%{if}" }] });
      return stack;
    });
    const text = Object.values<any>(t.resource.aws_cloudwatch_dashboard)[0].dashboard_body as string;
    const parts = readTemplate(text);
    expect(parts.every((p) => "literal" in p)).toBe(true);
    expect(JSON.stringify(JSON.parse(parts.map((p) => ("literal" in p ? p.literal : "")).join("")))).toContain("r${aws_x.y}%{if}");
  });

  it("refuses a fleet that needs more than 500 widgets (CloudWatch quotas, Dashboards)", () => {
    const rings = (n: number) => Array.from({ length: n }, (_, i) => ({ package: "Pkg", ring: `r${i}` }));
    // One header and three widgets per ring.
    expect(dashboardBody(rings(166), "us-east-1").widgets).toHaveLength(499);
    expect(() => dashboardBody(rings(167), "us-east-1")).toThrow(`dashboard aft-fleet-rollouts: 167 rings need 502 widgets; CloudWatch allows ${MAX_DASHBOARD_WIDGETS} per dashboard`);
  });
});

describe("the notifications section of the config", () => {
  function loaded(notifications: unknown): { model?: ReturnType<typeof loadConfig>; error?: string } {
    const config = baseConfig();
    config.notifications = notifications;
    const fx = makeFixture(config);
    try {
      return { model: loadConfig(fx.configFile, "fleet.json") };
    } catch (err) {
      if (err instanceof ConfigError) return { error: err.message };
      throw err;
    } finally {
      fx.cleanup();
    }
  }
  const centralAccount = baseConfig().organization.centralAccount as string;
  const homeRegion = baseConfig().organization.homeRegion as string;

  it("routes the ring events to a topic of the central account and to another account's bus: the central tree gets both targets", () => {
    const topicArn = `arn:aws:sns:${homeRegion}:${centralAccount}:fleet-events`;
    const busArn = "arn:aws:events:eu-west-1:999999999999:event-bus/operations";
    const config = baseConfig();
    config.notifications = { topicArn, busArn };
    const fx = makeFixture(config);
    let tree: any;
    try {
      const withTargets = loadConfig(fx.configFile, "fleet.json");
      expect(withTargets.notifications).toEqual({ topicArn, busArn });
      tree = synth((app) => new CentralStack(app, "central", withTargets, { homeRegion: withTargets.organization.homeRegion, mode: "aft" }, { lambdaBundleDir: bundleDir }));
    } finally {
      fx.cleanup();
    }
    const arns = Object.values<any>(tree.resource.aws_cloudwatch_event_target).map((t) => t.arn).sort();
    expect(arns).toEqual([busArn, topicArn].sort());
  });

  // Only a topic's owner may set its policy (SNS SetTopicAttributes), and the rule sits on the central
  // default bus already: both are refused at synth with the field path.
  it.each([
    [{ topicArn: "arn:aws:sns:eu-west-1:999999999999:elsewhere" }, /notifications\.topicArn: got .*elsewhere.*; allowed: a topic in the central account/],
    [{ busArn: "default-bus" }, /notifications\.busArn: .*allowed: .*event bus ARN/],
    [{ topicArn: "arn:aws:sqs:us-east-1:222222222222:q" }, /notifications\.topicArn: .*SNS topic ARN/],
    [{ busArn: "BUS" }, /notifications\.busArn/],
    [{ topic: "x" }, /notifications/],
  ])("refuses %j", (notifications, message) => {
    expect(loaded(notifications).error).toMatch(message);
  });

  it("refuses the central default bus itself", () => {
    expect(loaded({ busArn: `arn:aws:events:${homeRegion}:${centralAccount}:event-bus/default` }).error).toMatch(/notifications\.busArn: got .*; allowed: another bus than the central account's default bus/);
  });
});
