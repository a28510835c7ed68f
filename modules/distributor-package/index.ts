import { AssetType, TerraformAsset, TerraformLocal } from "cdktf";
import { Construct } from "constructs";
import { DataArchiveFile } from "@cdktf/provider-archive/lib/data-archive-file";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { sourceUrlOf, versionPrefix } from "../../contract/names";
import type { FleetPackage, PackageVersion } from "../config/model";
import { fleetTags } from "../core/tags";
import { tfJsonLiteral } from "../core/literal";
import type { PackageStore } from "../package-store";

/** Where archive_file writes zips, relative to the Terraform working directory (the AFT terraform/ folder). */
export const BUILD_DIR = ".aft-fleet-build";

export interface PackageArtifactsProps {
  readonly pkg: FleetPackage;
  readonly version: PackageVersion;
}

export interface PackageZip {
  readonly zipName: string;
  readonly outputPath: string;
  readonly sha256: string;
  readonly base64Sha256: string;
}

/**
 * Zips each platform folder of one package version (`archive_file`) and builds the Distributor manifest
 * (schemaVersion 2.0, SHA-256 hex per file) as a Terraform expression. The zips are byte-identical on
 * every machine (fixed file mode; the provider writes no timestamps), so the central store and every
 * member account compute the same manifest from the same sources.
 */
export class PackageArtifacts extends Construct {
  readonly zips: readonly PackageZip[];
  /** The manifest JSON (a Terraform `jsonencode` expression). */
  readonly manifest: string;

  constructor(scope: Construct, id: string, props: PackageArtifactsProps) {
    super(scope, id);
    const { pkg, version } = props;
    this.zips = version.bundles.map((bundle) => {
      const folder = new Construct(this, bundle.folder);
      const asset = new TerraformAsset(folder, "Source", { path: bundle.sourceDir, type: AssetType.DIRECTORY });
      const zip = new DataArchiveFile(folder, "Zip", {
        type: "zip",
        sourceDir: asset.path,
        outputPath: `${BUILD_DIR}/${pkg.name}/${version.version}/${bundle.zipName}`,
        outputFileMode: "0755",
      });
      return { zipName: bundle.zipName, outputPath: zip.outputPath, sha256: zip.outputSha256, base64Sha256: zip.outputBase64Sha256 };
    });
    const zipOf = new Map(version.bundles.map((b, i) => [b.folder, this.zips[i]!.zipName]));
    const packages: Record<string, Record<string, Record<string, { file: string }>>> = {};
    for (const p of pkg.platforms) {
      const byVersion = (packages[p.platform] ??= {});
      const byArch = (byVersion[p.platformVersion] ??= {});
      byArch[p.arch] = { file: zipOf.get(p.folder)! };
    }
    // The manifest is JSON text with the zips' SHA-256 as the only interpolations: config text (the
    // publisher) is escaped literal data, never HCL source inside a jsonencode() expression.
    const placeholder = (i: number) => `aft-fleet-sha256-${i}`;
    const files: Record<string, { checksums: { sha256: string } }> = {};
    this.zips.forEach((zip, i) => (files[zip.zipName] = { checksums: { sha256: placeholder(i) } }));
    let text = tfJsonLiteral({ schemaVersion: "2.0", version: version.version, publisher: pkg.publisher, packages, files });
    // `"sha256":"` with bare quotes occurs only structurally: JSON.stringify escapes quotes inside strings.
    this.zips.forEach((zip, i) => (text = text.replace(`"sha256":"${placeholder(i)}"`, `"sha256":"${zip.sha256}"`)));
    // A local keeps the manifest readable once in the emitted JSON; documents and objects refer to it.
    const manifest = new TerraformLocal(this, "Manifest", text);
    this.manifest = manifest.asString;
  }
}

export interface PackageUploadProps {
  readonly artifacts: PackageArtifacts;
  readonly store: PackageStore;
  readonly pkg: FleetPackage;
  readonly version: PackageVersion;
}

/**
 * Uploads one version's zips and manifest.json to `packages/<package>/<version>/` in the package store. The
 * keys come only from contract/names.ts (`versionPrefix`), the prefix the controller reads manifests from and
 * the member role and bucket policy grant.
 */
export class PackageUpload extends Construct {
  /** `s3://bucket/packages/<package>/<version>` (contract `sourceUrlOf`): the SourceUrl for package documents. */
  readonly sourceUrl: string;

  constructor(scope: Construct, id: string, props: PackageUploadProps) {
    super(scope, id);
    const { artifacts, store, pkg, version } = props;
    const prefix = versionPrefix(pkg.name, version.version);
    const tags = fleetTags({ "aft-fleet:package": pkg.name, "aft-fleet:version": version.version });
    const common = {
      region: store.region,
      bucket: store.bucket.id,
      ...(store.keyArn ? { serverSideEncryption: "aws:kms", kmsKeyId: store.keyArn } : { serverSideEncryption: "AES256" }),
      tags,
      dependsOn: store.ready,
    };
    for (const zip of artifacts.zips) {
      new S3Object(this, zip.zipName, {
        ...common,
        key: `${prefix}${zip.zipName}`,
        source: zip.outputPath,
        sourceHash: zip.base64Sha256,
        contentType: "application/zip",
      });
    }
    new S3Object(this, "manifest.json", {
      ...common,
      key: `${prefix}manifest.json`,
      content: artifacts.manifest,
      contentType: "application/json",
    });
    this.sourceUrl = sourceUrlOf(store.bucketName, pkg.name, version.version);
  }
}
