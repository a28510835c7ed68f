import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { s3ClientConfig } from "../../lambdas/shared/clients";
import { CreateOrganizationalUnitCommand, CreateOrganizationCommand, ListRootsCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildLambdas, cachedLambdaBundles, handlerNames } from "../../modules/controller/bundling";
import { motoAvailable, startMoto, useFakeAwsEnv, type MotoServer } from "../helpers/moto";

const ROOT = path.resolve(__dirname, "../..");
const HANDLERS = ["controller"];

/**
 * Invokes a bundle's handler in a plain `node` process, as the Lambda runtime would (jest's VM cannot
 * run the dynamic `import("node:…")` calls the SDK makes lazily).
 */
function invokeBundle(file: string, event: unknown): Promise<{ result?: unknown; error?: string }> {
  const runner = `require(process.argv[1]).handler(JSON.parse(process.argv[2]), { getRemainingTimeInMillis: () => 200000 }).then(
    (result) => console.log(JSON.stringify({ result })),
    (error) => console.log(JSON.stringify({ error: error.name })))`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["-e", runner, file, JSON.stringify(event)], { env: process.env, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as { result?: unknown; error?: string });
    });
  });
}

describe("build-lambdas", () => {
  let dirs: string[] = [];
  let first: string[];
  let second: string[];

  beforeAll(async () => {
    dirs = [mkdtempSync(path.join(os.tmpdir(), "aft-fleet-lambdas-")), mkdtempSync(path.join(os.tmpdir(), "aft-fleet-lambdas-"))];
    first = await buildLambdas(dirs[0]!);
    second = await buildLambdas(dirs[1]!);
  }, 60_000);
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("bundles every handler to <outDir>/<handler>/index.js in sorted order", () => {
    expect(handlerNames()).toEqual(HANDLERS);
    expect(first).toEqual(HANDLERS.map((name) => path.join(dirs[0]!, name, "index.js")));
  });

  it("produces byte-identical bundles on every run", () => {
    for (const [index, file] of first.entries()) {
      expect(readFileSync(file).equals(readFileSync(second[index]!))).toBe(true);
    }
  });

  it("caches bundles by their inputs: built once, reused, identical to a fresh build", async () => {
    const cacheRoot = mkdtempSync(path.join(os.tmpdir(), "aft-fleet-lambda-cache-"));
    dirs.push(cacheRoot);
    const dir = await cachedLambdaBundles(cacheRoot);
    expect(path.dirname(dir)).toBe(cacheRoot);
    expect(await cachedLambdaBundles(cacheRoot)).toBe(dir);
    expect(readdirSync(cacheRoot)).toEqual([path.basename(dir)]);
    for (const [index, name] of HANDLERS.entries()) {
      expect(readFileSync(path.join(dir, name, "index.js")).equals(readFileSync(first[index]!))).toBe(true);
    }
  });

  it("leaks no absolute build paths and bundles the SDK instead of relying on the runtime's", () => {
    for (const file of first) {
      const text = readFileSync(file, "utf8");
      expect(text).not.toContain("/work/");
      expect(text).not.toContain(ROOT);
      expect(text).not.toContain(os.homedir());
      expect(text).not.toMatch(/sourceMappingURL/);
      const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]!);
      expect(required.filter((name) => !name.startsWith("node:") && name !== "@aws-sdk/signature-v4-crt")).toEqual([]);
      expect(text.length).toBeLessThan(1_500_000);
    }
  });

  it("exports a handler function from each bundle", () => {
    for (const file of first) {
      const loaded = require(file) as { handler?: unknown };
      expect(typeof loaded.handler).toBe("function");
    }
  });

  (motoAvailable() ? describe : describe.skip)("bundled handler against moto", () => {
    let moto: MotoServer | null;
    let restoreEnv: () => void;
    beforeAll(async () => {
      moto = await startMoto();
      restoreEnv = useFakeAwsEnv(moto?.endpoint);
    });
    afterAll(async () => {
      restoreEnv?.();
      await moto?.stop();
    });

    it("reaches the emulator through AWS_ENDPOINT_URL alone: a plan over an empty OU ends Done, an unknown OU fails", async () => {
      const org = new OrganizationsClient({ region: "us-east-1" });
      await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
      const root = (await org.send(new ListRootsCommand({}))).Roots?.[0]?.Id as string;
      const ou = (await org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: "empty" }))).OrganizationalUnit?.Id as string;
      const s3 = new S3Client(s3ClientConfig("us-east-1"));
      await s3.send(new CreateBucketCommand({ Bucket: "bundle-store" }));
      const spec = (ous: string[]) => ({
        schemaVersion: 1, package: "TestAgent", ring: "all", ringIndex: 0, release: "1.0.0", publishedVersions: ["1.0.0"],
        targets: { accounts: [], organizationalUnits: ous }, earlierRingTargets: [], regions: ["us-east-1"],
        managementAccount: "111111111111", organizationId: "o-abcdef1234", alarms: [], maxConcurrency: "10%", maxErrors: "0",
        versionRetention: 10, store: { bucket: "bundle-store", region: "us-east-1" },
        association: { name: "aft-fleet-TestAgent", action: "Install", installationType: "Uninstall and reinstall", additionalArguments: {},
          targets: [{ Key: "InstanceIds", Values: ["*"] }], scheduleExpression: "rate(1 day)", maxConcurrency: "10%", maxErrors: "10%", complianceSeverity: "MEDIUM" },
      });
      await s3.send(new PutObjectCommand({ Bucket: "bundle-store", Key: "controller/TestAgent/all.json", Body: JSON.stringify(spec([ou])) }));
      await s3.send(new PutObjectCommand({ Bucket: "bundle-store", Key: "controller/TestAgent/bad.json", Body: JSON.stringify({ ...spec(["ou-zzzz-zzzzzzzz"]), ring: "bad" }) }));
      const bundle = path.join(dirs[0]!, "controller", "index.js");
      const done = await invokeBundle(bundle, { step: "plan", runId: "run-0001", bucket: "bundle-store", specKey: "controller/TestAgent/all.json" });
      expect(done.result).toMatchObject({ status: "Done", runId: "run-0001" });
      const bad = await invokeBundle(bundle, { step: "plan", runId: "run-0002", bucket: "bundle-store", specKey: "controller/TestAgent/bad.json" });
      expect(bad.error).toBeDefined();
    });
  });
});
