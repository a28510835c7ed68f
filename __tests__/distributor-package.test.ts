import * as path from "node:path";
import { Testing } from "cdktf";
import { DataArchiveFile } from "@cdktf/provider-archive/lib/data-archive-file";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { loadConfig } from "../modules/config";
import { packageDocumentNameOf, sourceUrlOf, versionPrefix } from "../contract/names";
import { DOCUMENT_NAME } from "../contract/patterns";
import { packageDocumentNamesFit } from "../modules/config/rules/names";
import { PackageSchema } from "../modules/config/schema";
import { PackageArtifacts, PackageUpload } from "../modules/distributor-package";
import { PackageStore } from "../modules/package-store";

const model = loadConfig(path.join(__dirname, "..", "examples", "fleet.yaml"));
const pkg = model.packages[0]!;
const version = pkg.versions[0]!;

function synth() {
  // TerraformAsset needs an app that knows where cdktf.json is.
  const app = Testing.fakeCdktfJsonPath(Testing.app());
  const stack = new (require("cdktf").TerraformStack)(app, "test");
  const store = new PackageStore(stack, "Store", { bucketName: "store", organizationId: "o-abcdef1234", accountId: "222222222222", region: "us-east-1" });
  const artifacts = new PackageArtifacts(stack, "Artifacts", { pkg, version });
  const upload = new PackageUpload(stack, "Upload", { artifacts, store, pkg, version });
  const out = Testing.synth(stack);
  return { out, json: JSON.parse(out), upload };
}

describe("PackageArtifacts and PackageUpload", () => {
  const { out, json, upload } = synth();

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

  it("uploads zips and manifest under packages/<package>/<version>/ with SSE-KMS", () => {
    expect(out).toHaveResourceWithProperties(S3Object, { key: "packages/ExampleAgent/1.0.0/linux.zip", server_side_encryption: "aws:kms", content_type: "application/zip" });
    expect(out).toHaveResourceWithProperties(S3Object, { key: "packages/ExampleAgent/1.0.0/windows.zip" });
    expect(out).toHaveResourceWithProperties(S3Object, { key: "packages/ExampleAgent/1.0.0/manifest.json", content: expect.stringMatching(/^\$\{local\./) });
    // The keys come from contract versionPrefix only (the controller reads manifests with it), and so does the model's prefix.
    expect(Object.values<any>(json.resource.aws_s3_object).map((o) => o.key).sort()).toEqual(["linux.zip", "manifest.json", "windows.zip"].map((f) => `${versionPrefix(pkg.name, "1.0.0")}${f}`));
    expect(version.prefix).toBe(versionPrefix(pkg.name, "1.0.0"));
    const zip = Object.values<any>(json.resource.aws_s3_object).find((o) => o.key.endsWith("linux.zip"));
    expect(zip.source_hash).toMatch(/output_base64sha256/);
    for (const o of Object.values<any>(json.resource.aws_s3_object)) expect(o.key.startsWith("/")).toBe(false);
  });

  it("points SourceUrl at the version prefix without a double slash", () => {
    expect(sourceUrlOf("store", "ExampleAgent", version.version)).toBe("s3://store/packages/ExampleAgent/1.0.0");
    expect(upload.sourceUrl).toBe("s3://store/packages/ExampleAgent/1.0.0");
  });
});

describe("member package document names", () => {
  // SSM API Reference, CreateDocument, Name: 3-128 of [a-zA-Z0-9_.-] (contract DOCUMENT_NAME).
  it("every package name the schema accepts forms a valid aft-fleet-<package> document name", () => {
    const template = { name: "", publisher: "p", source: "s", platforms: [{ platform: "amazon", arch: "x86_64", folder: "linux" }], release: "1.0.0", rings: [{ name: "all", targets: "all" }] };
    for (const name of ["abc", "a.b_c-d", "A".repeat(100)]) {
      expect(PackageSchema.safeParse({ ...template, name }).success).toBe(true);
      expect(DOCUMENT_NAME.test(packageDocumentNameOf(name))).toBe(true);
    }
    // 101 characters are refused, so 110 is the longest document name synth can emit.
    expect(PackageSchema.safeParse({ ...template, name: "A".repeat(101) }).success).toBe(false);
    expect(packageDocumentNameOf("A".repeat(100))).toHaveLength(110);
  });

  it("the config rule refuses a package whose document name would pass 128 characters, at the package's name", () => {
    // The schema caps names at 100 first; the rule reads only the names, so it is given them directly.
    const config = { packages: [{ name: "ok" }, { name: "A".repeat(119) }, { name: "B".repeat(118) }] } as never;
    expect(packageDocumentNamesFit(config)).toEqual([
      { path: "packages[1].name", value: expect.stringMatching(/^"A+\.\.\. \(document 129 characters\)$/), allowed: "a package name whose member document aft-fleet-<package> has at most 128 characters" },
    ]);
  });
});
