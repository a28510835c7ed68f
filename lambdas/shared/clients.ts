/**
 * SDK client configuration shared by every handler.
 *
 * Endpoint override: SDK v3 (3.1164.0, @smithy/core getEndpointUrlConfig) reads `AWS_ENDPOINT_URL`
 * and `AWS_ENDPOINT_URL_<SERVICE>` from the environment by itself, so no `endpoint` is passed here;
 * tests point the handlers at an emulator through that variable alone. S3 additionally needs
 * path-style addressing when an override is set, because `<bucket>.127.0.0.1` does not resolve.
 */

/** SDK-level attempts per call (adaptive mode also rate-limits the client after throttling). */
export const SDK_MAX_ATTEMPTS = 3;

export interface BaseClientConfig {
  readonly region: string;
  readonly maxAttempts: number;
  readonly retryMode: "adaptive";
}

/** The Lambda runtime always sets AWS_REGION; failing loudly beats guessing a Region elsewhere. */
export function defaultRegion(): string {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new Error("AWS_REGION is not set");
  return region;
}

export function clientConfig(region: string = defaultRegion()): BaseClientConfig {
  return { region, maxAttempts: SDK_MAX_ATTEMPTS, retryMode: "adaptive" };
}

/** The run bucket may live in another Region than the Lambda, hence followRegionRedirects. */
export function s3ClientConfig(
  region: string = defaultRegion(),
): BaseClientConfig & { forcePathStyle: boolean; followRegionRedirects: true } {
  const overridden = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  return { ...clientConfig(region), forcePathStyle: overridden, followRegionRedirects: true };
}

/** One client per Region, created on first use and reused across warm invocations. */
export function perRegion<C>(create: (region: string) => C): (region: string) => C {
  const cache = new Map<string, C>();
  return (region) => {
    let client = cache.get(region);
    if (client === undefined) {
      client = create(region);
      cache.set(region, client);
    }
    return client;
  };
}

/** `name: message` of an SDK or other error, for results and state files. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
