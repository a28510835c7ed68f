/**
 * The service limits the fakes enforce, each with its source. Where AWS publishes no request rate, the
 * number is a conservative choice of this benchmark and says so.
 */

/** A request-rate limit: a token bucket of `burst` tokens refilled at `perSecond`. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
  /** Where the number comes from. */
  readonly source: string;
}

export const RATE_LIMITS = {
  /**
   * S3: "at least 3,500 PUT/COPY/POST/DELETE or 5,500 GET/HEAD requests per second per partitioned Amazon S3
   * prefix" (S3 User Guide, "Best practices design patterns: optimizing Amazon S3 performance",
   * optimizing-performance.html). Applied per bucket here (one prefix, the worst case); refused with 503 SlowDown.
   */
  s3Write: { perSecond: 3500, burst: 3500, source: "S3 User Guide, optimizing-performance.html: 3,500 PUT/COPY/POST/DELETE per second per prefix" },
  s3Read: { perSecond: 5500, burst: 5500, source: "S3 User Guide, optimizing-performance.html: 5,500 GET/HEAD per second per prefix" },
  /**
   * Organizations: its quotas page (Organizations User Guide, orgs_reference_limits.html) lists no request
   * rate for ListOrganizationalUnitsForParent / ListAccountsForParent / DescribeAccount; callers see
   * TooManyRequestsException. Not documented: 5 requests per second for the whole organization is this
   * benchmark's conservative choice.
   */
  organizations: { perSecond: 5, burst: 5, source: "not documented by AWS (Organizations quotas page lists no request rate); 5/s chosen" },
  /**
   * STS AssumeRole, counted against the caller's (the central) account and Region. The IAM User Guide's "IAM
   * and AWS STS quotas" page could not be confirmed to give a per-API figure in the sources available here;
   * 100 per second is this benchmark's conservative choice. Refused with Throttling.
   */
  stsAssumeRole: { perSecond: 100, burst: 100, source: "not confirmed in AWS documentation available here; 100/s chosen" },
  /**
   * CloudWatch DescribeAlarms: 9 transactions per second; PutMetricData: 500 (CloudWatch User Guide, "CloudWatch
   * service quotas", cloudwatch_limits.html, API request quotas). Refused with Throttling.
   */
  cloudwatchDescribeAlarms: { perSecond: 9, burst: 9, source: "CloudWatch User Guide, cloudwatch_limits.html: DescribeAlarms 9 TPS" },
  cloudwatchPutMetricData: { perSecond: 500, burst: 500, source: "CloudWatch User Guide, cloudwatch_limits.html: PutMetricData 500 TPS" },
  /**
   * Parameter Store: "Max throughput (transactions per second)", default 40, shared by GetParameter,
   * GetParameters and GetParametersByPath (AWS General Reference, "AWS Systems Manager endpoints and quotas",
   * ssm.html), per account and Region.
   */
  ssmGetParameters: { perSecond: 40, burst: 40, source: "AWS General Reference, ssm.html: Parameter Store max throughput 40 TPS (default)" },
  /**
   * Every other SSM action the controller calls: AWS publishes no per-API request rate for them (the same
   * ssm.html page lists resource quotas only). 10 per second per API per account and Region is this
   * benchmark's conservative choice; refused with ThrottlingException.
   */
  ssmOther: { perSecond: 10, burst: 10, source: "not documented by AWS (ssm.html lists no rate for these APIs); 10/s per API chosen" },
} as const satisfies Record<string, RateLimit>;

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly limit: RateLimit,
    now: number,
  ) {
    this.tokens = limit.burst;
    this.last = now;
  }

  /** Takes one token at `now`; false when none is left (the call is throttled). */
  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.tokens = Math.min(this.limit.burst, this.tokens + elapsed * this.limit.perSecond);
    this.last = Math.max(this.last, now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Lambda: the controller's timeout is CONTROLLER_TIMEOUT_SECONDS (modules/controller/controller.ts) and its
 * memory 512 MB (the same file). A synchronous invocation's response is at most 6 MB ("For synchronous
 * invocations, the maximum payload size is 6 MB", Lambda API Reference, Invoke); a larger one fails the step.
 */
export const LAMBDA_RESPONSE_MAX_BYTES = 6 * 1024 * 1024;
export const LAMBDA_MEMORY_MB = 512;

/**
 * Distributor: "Each package is held to a maximum of 25 versions" (AWS Systems Manager User Guide, "Add a
 * version to a Distributor package"); UpdateDocument beyond it fails with DocumentVersionLimitExceeded
 * (UpdateDocument API reference, Errors).
 */
export const MAX_DOCUMENT_VERSIONS = 25;
/** ListAccountsForParent / ListOrganizationalUnitsForParent MaxResults: 1-20 (Organizations API Reference). */
export const ORGANIZATIONS_PAGE_MAX = 20;
/** DescribeAlarms AlarmNames: at most 100 items (CloudWatch API Reference, DescribeAlarms). */
export const DESCRIBE_ALARMS_NAMES_MAX = 100;
/** PutMetricData MetricData: at most 1,000 items (CloudWatch API Reference, PutMetricData). */
export const PUT_METRIC_DATA_MAX = 1000;
/** GetParameters Names: 1-10 items (SSM API Reference, GetParameters). */
export const GET_PARAMETERS_MAX = 10;
/** ListDocumentVersions and DescribeAssociationExecutions MaxResults: 1-50; ListAssociations 1-50 (SSM API Reference). */
export const SSM_LIST_MAX = 50;
/** StartAssociationsOnce AssociationIds: 1-10 items (SSM API Reference, StartAssociationsOnce). */
export const START_ONCE_MAX = 10;
/** ListObjectsV2 MaxKeys: at most 1,000 keys a page (S3 API Reference, ListObjectsV2). */
export const LIST_OBJECTS_MAX = 1000;
