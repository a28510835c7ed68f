/**
 * The central account's CloudWatch dashboard `aft-fleet-rollouts`: per ring the controller runs (package rings
 * and its own jobs), the AftFleet metrics it publishes (contract/metrics.ts, contract/names.ts):
 * PairsByStatus (Package, Ring, Status) stacked, RingHeld (Package, Ring) and FailedTargets (Package, Ring).
 *
 * The body follows the CloudWatch API Reference, "Dashboard Body Structure and Syntax": `widgets`, each with
 * `type`, `x`, `y`, `width` (1-24 grid columns), `height` and `properties`; a metric widget's `metrics` rows are
 * `[Namespace, MetricName, DimensionName, DimensionValue, ..., {rendering options}]`, with `region`, `view`,
 * `stacked`, `stat`, `period` and `title`. A dashboard holds at most 500 widgets (CloudWatch quotas,
 * "Dashboards"); synth refuses a fleet that would need more. Package and ring names are config text: the body
 * reaches Terraform as literal data (tfJsonLiteral).
 */
import { Construct } from "constructs";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { FAILED_TARGETS_METRIC, METRIC_NAMESPACE, ASG_IMAGE_JOB, EMERGENCY_JOB, INVENTORY_JOB, INVENTORY_RING } from "../../contract/names";
import { PAIR_METRIC_STATUSES, PAIRS_BY_STATUS_METRIC, RING_HELD_METRIC } from "../../contract/metrics";
import type { FleetModel } from "../config/model";
import { tfJsonLiteral } from "../core/literal";

export const DASHBOARD_NAME = "aft-fleet-rollouts";
/** CloudWatch quotas, "Dashboards": widgets per dashboard. */
export const MAX_DASHBOARD_WIDGETS = 500;
/** Seconds per data point: the controller publishes after every apply pass (about every 2 minutes while a run goes). */
const DASHBOARD_PERIOD = 300;

export interface DashboardRing {
  /** The Package dimension: a package name, or a controller job (`_emergency`, `_inventory`, `_asg-image`). */
  readonly package: string;
  readonly ring: string;
}

/** Every ring the central tree runs, in the order it creates them (packages' rings, then the controller's jobs). */
export function dashboardRingsOf(model: FleetModel): DashboardRing[] {
  const rings: DashboardRing[] = model.packages.flatMap((pkg) => pkg.rings.map((ring) => ({ package: pkg.name, ring: ring.name })));
  const patching = model.patching;
  if (patching) {
    rings.push({ package: INVENTORY_JOB, ring: INVENTORY_RING });
    for (const ring of patching.emergency?.rings ?? []) rings.push({ package: EMERGENCY_JOB, ring: ring.name });
    for (const ring of patching.autoScaling?.rings ?? []) rings.push({ package: ASG_IMAGE_JOB, ring: ring.name });
  }
  return rings;
}

type MetricRow = (string | Record<string, string>)[];

interface Widget {
  readonly type: "metric" | "text";
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, unknown>;
}

const STATUS_COLOURS: Readonly<Record<string, string>> = {
  Succeeded: "#2ca02c",
  InProgress: "#1f77b4",
  Failed: "#d62728",
  NotReady: "#ff7f0e",
  NotStarted: "#7f7f7f",
};

/** The dashboard body (an object; JSON.stringify it) for `rings` in `region`. */
export function dashboardBody(rings: readonly DashboardRing[], region: string): { widgets: Widget[] } {
  const widgets: Widget[] = [];
  let y = 0;
  let group: string | undefined;
  const metric = (ring: DashboardRing, title: string, x: number, width: number, metrics: MetricRow[], extra: Record<string, unknown> = {}): Widget => ({
    type: "metric",
    x,
    y,
    width,
    height: 6,
    properties: { title: `${ring.package} / ${ring.ring}: ${title}`, region, view: "timeSeries", stat: "Maximum", period: DASHBOARD_PERIOD, metrics, ...extra },
  });
  for (const ring of rings) {
    if (ring.package !== group) {
      group = ring.package;
      widgets.push({ type: "text", x: 0, y, width: 24, height: 1, properties: { markdown: `## ${ring.package}` } });
      y += 1;
    }
    const dims = ["Package", ring.package, "Ring", ring.ring];
    widgets.push(
      metric(
        ring,
        "pairs by status",
        0,
        12,
        PAIR_METRIC_STATUSES.map((status) => [METRIC_NAMESPACE, PAIRS_BY_STATUS_METRIC, ...dims, "Status", status, { label: status, color: STATUS_COLOURS[status] ?? "#000000" }]),
        { stacked: true },
      ),
      metric(ring, "held at its error budget (1 = held)", 12, 6, [[METRIC_NAMESPACE, RING_HELD_METRIC, ...dims, { label: "RingHeld" }]], {
        yAxis: { left: { min: 0, max: 1 } },
      }),
      metric(ring, "failed targets at the end of each run", 18, 6, [[METRIC_NAMESPACE, FAILED_TARGETS_METRIC, ...dims, { label: "FailedTargets" }]], {
        yAxis: { left: { min: 0 } },
      }),
    );
    y += 6;
  }
  if (widgets.length > MAX_DASHBOARD_WIDGETS) {
    throw new Error(`dashboard ${DASHBOARD_NAME}: ${rings.length} rings need ${widgets.length} widgets; CloudWatch allows ${MAX_DASHBOARD_WIDGETS} per dashboard`);
  }
  return { widgets };
}

export interface RolloutDashboardProps {
  /** Home Region: where the controller publishes its metrics. */
  readonly region: string;
  readonly rings: readonly DashboardRing[];
}

/** The `aft-fleet-rollouts` dashboard (aws_cloudwatch_dashboard takes no tags or description). */
export class RolloutDashboard extends Construct {
  readonly dashboard: CloudwatchDashboard;

  constructor(scope: Construct, id: string, props: RolloutDashboardProps) {
    super(scope, id);
    this.dashboard = new CloudwatchDashboard(this, "Dashboard", {
      region: props.region,
      dashboardName: DASHBOARD_NAME,
      // Config text (package and ring names) as literal Terraform data.
      dashboardBody: tfJsonLiteral(dashboardBody(props.rings, props.region)),
    });
  }
}
