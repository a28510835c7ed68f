import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { withBackoff, type BackoffOptions } from "./retry";

function isMissingKey(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === "NoSuchKey" || e?.$metadata?.httpStatusCode === 404;
}

/** Reads and parses a JSON object; `undefined` when the key does not exist. */
export async function getJson<T>(s3: S3Client, bucket: string, key: string, backoff?: BackoffOptions): Promise<T | undefined> {
  try {
    const response = await withBackoff(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })), backoff);
    const text = (await response.Body?.transformToString("utf-8")) ?? "";
    return JSON.parse(text) as T;
  } catch (error) {
    if (isMissingKey(error)) return undefined;
    throw error;
  }
}

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
