/**
 * The controller's CloudWatch calls: which ring alarms are firing, and the ring's metrics (AftFleet
 * namespace, contract/metrics.ts): PairsByStatus and RingHeld after every apply pass and at the end of a
 * run, FailedTargets at the end of a run. PutMetricData takes at most 1,000 metrics per request (PutMetricData
 * API reference); a call here sends at most seven.
 */
import { DescribeAlarmsCommand, PutMetricDataCommand, type CloudWatchClient, type MetricDatum } from "@aws-sdk/client-cloudwatch";
import { FAILED_TARGETS_METRIC, METRIC_NAMESPACE, PAIR_METRIC_STATUSES, PAIRS_BY_STATUS_METRIC, RING_HELD_METRIC, type SummaryStatus } from "../../contract";
import { chunk } from "../shared/chunk";
import { withBackoff, type BackoffOptions } from "../shared/retry";

/** Alarms among `names` in ALARM (DescribeAlarms by AlarmNames, at most 100 a call). */
export async function alarmsInAlarm(cloudwatch: CloudWatchClient, names: readonly string[], backoff?: BackoffOptions): Promise<Set<string>> {
  const firing = new Set<string>();
  const unique = [...new Set(names)].sort();
  for (const batch of chunk(unique, 100)) {
    let token: string | undefined;
    do {
      const next = token;
      const page = await withBackoff(
        () =>
          cloudwatch.send(
            new DescribeAlarmsCommand({ AlarmNames: batch, AlarmTypes: ["MetricAlarm", "CompositeAlarm"], StateValue: "ALARM", ...(next ? { NextToken: next } : {}) }),
          ),
        backoff,
      );
      for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        if (alarm.AlarmName && alarm.StateValue === "ALARM") firing.add(alarm.AlarmName);
      }
      token = page.NextToken || undefined;
    } while (token);
  }
  return firing;
}

export interface RingMetrics {
  /** The summary's counts. */
  readonly counts: Readonly<Record<SummaryStatus, number>>;
  /** The ring's halt holds. */
  readonly held: boolean;
  /** Also publish FailedTargets (the end of a run). */
  readonly final: boolean;
}

/** FailedTargets (final only), then PairsByStatus per status and RingHeld, dimensioned by Package and Ring. */
function ringMetricData(ring: { readonly package: string; readonly ring: string }, metrics: RingMetrics, at: Date): MetricDatum[] {
  const dimensions = [
    { Name: "Package", Value: ring.package },
    { Name: "Ring", Value: ring.ring },
  ];
  const data: MetricDatum[] = [];
  if (metrics.final) data.push({ MetricName: FAILED_TARGETS_METRIC, Dimensions: dimensions, Value: metrics.counts.Failed, Unit: "Count", Timestamp: at });
  for (const status of PAIR_METRIC_STATUSES) {
    data.push({ MetricName: PAIRS_BY_STATUS_METRIC, Dimensions: [...dimensions, { Name: "Status", Value: status }], Value: metrics.counts[status], Unit: "Count", Timestamp: at });
  }
  data.push({ MetricName: RING_HELD_METRIC, Dimensions: dimensions, Value: metrics.held ? 1 : 0, Unit: "Count", Timestamp: at });
  return data;
}

export async function putRingMetrics(cloudwatch: CloudWatchClient, ring: { readonly package: string; readonly ring: string }, metrics: RingMetrics, at: Date, backoff?: BackoffOptions): Promise<void> {
  const data = ringMetricData(ring, metrics, at);
  await withBackoff(() => cloudwatch.send(new PutMetricDataCommand({ Namespace: METRIC_NAMESPACE, MetricData: data })), backoff);
}
