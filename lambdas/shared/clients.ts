/**
 * SDK client configuration shared by every handler.
 *
 * Endpoint override: SDK v3 (3.1164.0, @smithy/core getEndpointUrlConfig) reads `AWS_ENDPOINT_URL`
 * and `AWS_ENDPOINT_URL_<SERVICE>` from the environment by itself, so no `endpoint` is passed here;
 * tests point the handlers at an emulator through that variable alone. S3 additionally needs
 * path-style addressing when an override is set, because `<bucket>.127.0.0.1` does not resolve.
 */
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { NodeHttpHandler } from "@smithy/node-http-handler";

/** SDK-level attempts per call (adaptive mode also rate-limits the client after throttling). */
const SDK_MAX_ATTEMPTS = 3;

export interface BaseClientConfig {
  readonly region: string;
  readonly maxAttempts: number;
  readonly retryMode: "adaptive";
}

/** The Lambda runtime always sets AWS_REGION; failing loudly beats guessing a Region elsewhere. */
function defaultRegion(): string {
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

/** `name: message` of an SDK or other error, for results and state files. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * Sockets the shared handler keeps open to one endpoint host (e.g. ssm.eu-west-1.amazonaws.com): the
 * SDK's own default (`@smithy/node-http-handler` 4.14.2 NodeHttpHandler: `maxSockets = 50`). Every member
 * account calls the same Regional endpoint host, so with one shared agent a connection opened for one
 * account serves the next (SigV4 signs each request; the TLS connection carries no identity).
 */
export const SHARED_MAX_SOCKETS_PER_HOST = 50;
/**
 * Sockets the shared handler keeps open in all. A Lambda execution environment has 1,024 file
 * descriptors (Lambda quotas, "Function configuration, deployment, and execution": File descriptors
 * 1,024), and each socket holds one; 400 leaves more than half for the runtime, the central clients'
 * own handlers (S3, STS, Organizations, CloudWatch) and DNS. Calls beyond it queue in the agent.
 */
export const SHARED_MAX_TOTAL_SOCKETS = 400;

let sharedHandler: NodeHttpHandler | undefined;

/**
 * One NodeHttpHandler for every member client in this Lambda container: one keep-alive socket pool,
 * bounded per host and in all, instead of one pool (50 sockets per host) per account and Region.
 * Never call `destroy()` on a client that uses it: that would close the pool for all of them.
 */
export function sharedHttpHandler(): NodeHttpHandler {
  if (sharedHandler === undefined) {
    const agentOptions = { keepAlive: true, maxSockets: SHARED_MAX_SOCKETS_PER_HOST, maxTotalSockets: SHARED_MAX_TOTAL_SOCKETS };
    sharedHandler = new NodeHttpHandler({ httpAgent: new HttpAgent(agentOptions), httpsAgent: new HttpsAgent(agentOptions) });
  }
  return sharedHandler;
}
