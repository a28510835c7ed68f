import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { PACKAGE_PARAMETER_PREFIX } from "../../contract/patterns";
import { fleetTags, partitionOf } from "../core";
import { policyDocument, toJson } from "../iam/policy";

/** The managed policy that lets managed nodes resolve package arguments from Parameter Store. */
const PACKAGE_PARAMETERS_POLICY_NAME = "aft-fleet-package-parameters";

export interface PackageParameterPolicyProps {
  /** Any Region of the organization's partition (the home Region). */
  readonly homeRegion: string;
}

/**
 * A package argument `{{ssm:/aft-fleet/...}}` is resolved on the node: its SSM Agent calls
 * ssm:GetParameters with the node's own credentials, in the node's account and Region
 * (aws/amazon-ssm-agent, agent/parameterstore/parameterstore.go). AmazonSSMManagedInstanceCore grants
 * that on every parameter; node roles with less (for example Default Host Management's role) need this
 * policy attached. It reads only this account's parameters below /aft-fleet/, and never decrypts: the
 * agent refuses SecureString references anyway.
 */
export class PackageParameterPolicy extends Construct {
  readonly policy: IamPolicy;

  constructor(scope: Construct, id: string, props: PackageParameterPolicyProps) {
    super(scope, id);
    const partition = partitionOf(props.homeRegion);
    const account = new DataAwsCallerIdentity(this, "Account").accountId;
    this.policy = new IamPolicy(this, "Policy", {
      name: PACKAGE_PARAMETERS_POLICY_NAME,
      description: "aft-fleet: lets managed nodes read the Parameter Store values their Distributor package arguments reference",
      policy: toJson(
        policyDocument({
          Sid: "ResolvePackageArguments",
          Effect: "Allow",
          Action: ["ssm:GetParameters"],
          Resource: [`arn:${partition}:ssm:*:${account}:parameter${PACKAGE_PARAMETER_PREFIX}*`],
        }),
      ),
      tags: fleetTags(),
    });
    new TerraformOutput(this, "package_parameters_policy_arn", {
      value: this.policy.arn,
      description: "Attach to node roles that lack ssm:GetParameters (AmazonSSMManagedInstanceCore already has it)",
    });
  }
}
