/** The controller's CloudWatch calls: which ring alarms are firing, and the FailedTargets metric per run. */
import { DescribeAlarmsCommand, PutMetricDataCommand, type CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { FAILED_TARGETS_METRIC, METRIC_NAMESPACE } from "../../contract";
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

/** FailedTargets{Package, Ring} = the run's failed pairs. */
export async function putFailedTargets(cloudwatch: CloudWatchClient, ring: { readonly package: string; readonly ring: string }, failed: number, at: Date, backoff?: BackoffOptions): Promise<void> {
  await withBackoff(
    () =>
      cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: METRIC_NAMESPACE,
          MetricData: [
            {
              MetricName: FAILED_TARGETS_METRIC,
              Dimensions: [
                { Name: "Package", Value: ring.package },
                { Name: "Ring", Value: ring.ring },
              ],
              Value: failed,
              Unit: "Count",
              Timestamp: at,
            },
          ],
        }),
      ),
    backoff,
  );
}
