import { S3Backend, TerraformStack } from "cdktf";
import type { TerraformElement } from "cdktf";
import { Construct, Node } from "constructs";
import { ArchiveProvider } from "@cdktf/provider-archive/lib/provider";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";

/** Provider ranges, not pins: AFT and users bring their own provider builds. */
const AWS_PROVIDER_RANGE = ">= 6.25.0, < 7.0.0";
const ARCHIVE_PROVIDER_RANGE = ">= 2.7.0, < 3.0.0";

export interface DirectBackendProps {
  readonly bucket: string;
  readonly key: string;
  readonly region: string;
  readonly dynamodbTable?: string;
  /** Role the provider assumes in the target account. */
  readonly roleArn: string;
}

export interface FleetStackProps {
  /** Region of the default provider (the Control Tower home Region). */
  readonly homeRegion: string;
  /**
   * aft: no backend and no provider configuration in the output; AFT's jinja templates supply both.
   * direct: an S3 backend and a provider assuming `direct.roleArn`, for `cdktf deploy` without AFT.
   */
  readonly mode: "aft" | "direct";
  /** Required when mode is direct. */
  readonly direct?: DirectBackendProps;
}

/**
 * Base stack for every aft-fleet stack. Holds the cdktf-specific glue in one place: provider and
 * backend wiring per mode, version ranges, and readable snake_case logical ids taken from construct
 * paths (`package_store_bucket`), because the ids are Terraform addresses that people review.
 */
export class FleetStack extends TerraformStack {
  private readonly allocatedIds = new Map<string, string>();

  constructor(scope: Construct, id: string, props: FleetStackProps) {
    super(scope, id);
    if (props.mode === "direct") {
      if (!props.direct) throw new Error(`FleetStack ${id}: direct mode needs backend settings`);
      new S3Backend(this, {
        bucket: props.direct.bucket,
        key: props.direct.key,
        region: props.direct.region,
        encrypt: true,
        ...(props.direct.dynamodbTable ? { dynamodbTable: props.direct.dynamodbTable } : {}),
      });
      new AwsProvider(this, "aws", { region: props.homeRegion, assumeRole: [{ roleArn: props.direct.roleArn }] });
    } else {
      // Satisfies cdktf's provider-presence check; the AFT tree writer drops provider blocks, and
      // AFT renders its own default provider from aft-providers.jinja.
      new AwsProvider(this, "aws", { region: props.homeRegion });
      // No backend in AFT mode: AFT renders backend.jinja. Removing it also drops the absolute local path.
      this.addOverride("terraform.backend", undefined);
    }
    new ArchiveProvider(this, "archive", {});
    this.addOverride("terraform.required_providers.aws.version", AWS_PROVIDER_RANGE);
    this.addOverride("terraform.required_providers.archive.version", ARCHIVE_PROVIDER_RANGE);
  }

  /** `PackageStore/Bucket` -> `package_store_bucket`; fails loudly if two constructs would share an id. */
  protected allocateLogicalId(element: TerraformElement | Node): string {
    const node = element instanceof Node ? element : element.node;
    const scopes = node.scopes;
    const parts = scopes.slice(scopes.indexOf(this) + 1).map((c) => toSnake(c.node.id));
    const id = parts.filter((p) => p !== "").join("_");
    const owner = this.allocatedIds.get(id);
    if (owner !== undefined && owner !== node.path) {
      throw new Error(`logical id ${id} is used by both ${owner} and ${node.path}`);
    }
    this.allocatedIds.set(id, node.path);
    return id;
  }
}

/** `ExampleAgent` -> `example_agent`, `eu-west-1` -> `eu_west_1`, `1.0.0` -> `1_0_0`. */
export function toSnake(id: string): string {
  return id
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toLowerCase();
}
