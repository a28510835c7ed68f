import * as path from "node:path";
import { Testing } from "cdktf";
import { DataArchiveFile } from "@cdktf/provider-archive/lib/data-archive-file";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { loadConfig } from "../modules/config";
import { sourceUrlOf } from "../contract/names";
import { PackageArtifacts, PackageUpload } from "../modules/distributor-package";
import { PackageStore } from "../modules/package-store";

const model = loadConfig(path.join(__dirname, "..", "examples", "fleet.yaml"));
const pkg = model.packages[0]!;
const version = pkg.versions[0]!;

function synth() {
  // TerraformAsset needs an app that knows where cdktf.json is.
  const app = Testing.fakeCdktfJsonPath(Testing.app());
  const stack = new (require("cdktf").TerraformStack)(app, "test");
  const store = new PackageStore(stack, "Store", { bucketName: "store", organizationId: "o-abcdef1234", accountId: "222222222222", region: "us-east-1", packageNames: [pkg.name] });
  const artifacts = new PackageArtifacts(stack, "Artifacts", { pkg, version });
  new PackageUpload(stack, "Upload", { artifacts, store, pkg, version });
  const out = Testing.synth(stack);
  return { out, json: JSON.parse(out) };
}

describe("PackageArtifacts and PackageUpload", () => {
  const { out, json } = synth();

  it("zips each platform folder once with a fixed file mode, so zips are identical on every machine", () => {
    expect(out).toHaveDataSourceWithProperties(DataArchiveFile, { type: "zip", output_file_mode: "0755", output_path: ".aft-fleet-build/ExampleAgent/1.0.0/linux.zip" });
    expect(out).toHaveDataSourceWithProperties(DataArchiveFile, { output_path: ".aft-fleet-build/ExampleAgent/1.0.0/windows.zip" });
    expect(Object.keys(json.data.archive_file)).toHaveLength(2);
    for (const zip of Object.values<any>(json.data.archive_file)) expect(zip.source_dir).toMatch(/^assets\//);
  });

  it("builds a schemaVersion 2.0 manifest whose checksums are the zips' SHA-256 (hex), not SHA-1", () => {
    const manifest: string = Object.values<string>(json.locals)[0]!;
    // JSON text whose only interpolations are the archives' SHA-256 outputs.
    const shas = [...manifest.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]);
    expect(shas.length).toBe(2);
    for (const sha of shas) expect(sha).toMatch(/^data\.archive_file\.[A-Za-z0-9_]+\.output_sha256$/);
    const parsed = JSON.parse(manifest.replace(/\$\{[^}]*\}/g, "SHA"));
    expect(parsed).toEqual({
      schemaVersion: "2.0",
      version: "1.0.0",
      publisher: expect.any(String),
      packages: {
        amazon: { _any: { x86_64: { file: "linux.zip" }, arm64: { file: "linux.zip" } } },
        redhat: { _any: { x86_64: { file: "linux.zip" }, arm64: { file: "linux.zip" } } },
        ubuntu: { _any: { x86_64: { file: "linux.zip" }, arm64: { file: "linux.zip" } } },
        windows: { _any: { x86_64: { file: "windows.zip" } } },
      },
      files: { "linux.zip": { checksums: { sha256: "SHA" } }, "windows.zip": { checksums: { sha256: "SHA" } } },
    });
    expect(manifest).not.toContain("output_sha}");
  });

  it("uploads zips and manifest under <package>/<version>/ with SSE-KMS", () => {
    expect(out).toHaveResourceWithProperties(S3Object, { key: "ExampleAgent/1.0.0/linux.zip", server_side_encryption: "aws:kms", content_type: "application/zip" });
    expect(out).toHaveResourceWithProperties(S3Object, { key: "ExampleAgent/1.0.0/windows.zip" });
    expect(out).toHaveResourceWithProperties(S3Object, { key: "ExampleAgent/1.0.0/manifest.json", content: expect.stringMatching(/^\$\{local\./) });
    const zip = Object.values<any>(json.resource.aws_s3_object).find((o) => o.key.endsWith("linux.zip"));
    expect(zip.source_hash).toMatch(/output_base64sha256/);
    for (const o of Object.values<any>(json.resource.aws_s3_object)) expect(o.key.startsWith("/")).toBe(false);
  });

  it("points SourceUrl at the version prefix without a double slash", () => {
    expect(sourceUrlOf("store", "ExampleAgent", version.version)).toBe("s3://store/ExampleAgent/1.0.0");
  });
});
