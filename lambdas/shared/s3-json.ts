import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { withBackoff, type BackoffOptions } from "./retry";

/**
 * Writes `value` as compact JSON (stable for identical input: callers sort what they write). Compact, because
 * the controller's state files grow with the fleet: at 40,000 pairs indentation alone adds megabytes per write.
 */
export async function putJson(s3: S3Client, bucket: string, key: string, value: unknown, backoff?: BackoffOptions): Promise<void> {
  const body = `${JSON.stringify(value)}\n`;
  await withBackoff(
    () => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "application/json" })),
    backoff,
  );
}
