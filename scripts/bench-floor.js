// The synth floor for `npm run bench`: a minimal precompiled cdktf app (plain JavaScript, no transpiling)
// with 3 resources from deep provider imports, synthesized into the folder given as argv[2].
const { App, TerraformStack } = require("cdktf");
const { AwsProvider } = require("@cdktf/provider-aws/lib/provider");
const { S3Bucket } = require("@cdktf/provider-aws/lib/s3-bucket");
const { IamRole } = require("@cdktf/provider-aws/lib/iam-role");
const { SsmDocument } = require("@cdktf/provider-aws/lib/ssm-document");

const app = new App({ outdir: process.argv[2] });
const stack = new TerraformStack(app, "floor");
new AwsProvider(stack, "aws", { region: "us-east-1" });
new S3Bucket(stack, "bucket", { bucket: "aft-fleet-bench-floor" });
new IamRole(stack, "role", { name: "aft-fleet-bench-floor", assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [] }) });
new SsmDocument(stack, "document", { name: "aft-fleet-bench-floor", documentType: "Command", content: "{}" });
app.synth();
