/**
 * The world the controller's handler tests run in: moto (S3, STS, Organizations, CloudWatch) with a
 * store bucket and an organization of two member accounts in one OU, the SSM APIs moto lacks stubbed
 * per member client (ssm-association-stub.ts), and the handler's dependencies with every central call
 * recorded. The controller's S3 client answers as S3 would for the controller role: every command is
 * judged against the role's policy as modules/controller synthesizes it (stub.ts, enforceS3Policy), so a
 * GetObject of a missing key is a 403 unless the policy grants s3:ListBucket for it. `useControllerWorld`
 * registers the jest hooks; the returned object is refilled before each test.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { Testing, TerraformStack } from "cdktf";
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  CreateOrganizationalUnitCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { EXECUTION_ROLE_NAME } from "../../contract";
import type { ControllerDeps } from "../../lambdas/controller";
import { CredentialCache, centralStsClient, memberSsm } from "../../lambdas/controller/pair";
import { clientConfig, s3ClientConfig } from "../../lambdas/shared/clients";
import { startMoto, useFakeAwsEnv, type MotoServer } from "../helpers/moto";
import { installSsmStub, type SsmStub } from "./ssm-association-stub";
import { RolloutController } from "../../modules/controller";
import type { PackageStore } from "../../modules/package-store";
import { enforceS3Policy, spySend, type IamPolicy, type S3PolicyOptions, type SentCommand } from "./stub";

export const CENTRAL_REGION = "us-east-1";

export interface ControllerWorld {
  s3: S3Client;
  organizations: OrganizationsClient;
  rootId: string;
  ouId: string;
  /** The two member accounts, sorted. */
  accounts: string[];
  stubs: Map<SSMClient, { account: string; region: string; stub: SsmStub }>;
  cache: CredentialCache;
  deps: ControllerDeps;
  stsSent: SentCommand[];
  s3Sent: SentCommand[];
  cwSent: SentCommand[];
  /** The policy the controller's S3 calls are judged by (default: the synthesized controller role policy); tests may replace it. */
  s3Policy: IamPolicy;
  /** Which s3:prefix S3's implicit ListBucket check carries (stub.ts); tests may change it. */
  s3Rules: S3PolicyOptions;
  /** Each controller S3 command and whether S3 let it through or answered 403. */
  s3Decisions: ReturnType<typeof enforceS3Policy>;
}

export interface ControllerWorldOptions extends S3PolicyOptions {
  /** Packages the synthesized controller policy names (their manifests and prefixes). */
  readonly packages?: readonly string[];
}

/** The controller role's inline policy exactly as modules/controller emits it, for a store bucket with literal names. */
export function synthesizedControllerPolicy(bucket: string, packageNames: readonly string[], region = CENTRAL_REGION): IamPolicy {
  const bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), "aft-fleet-bundle-"));
  try {
    fs.mkdirSync(path.join(bundleDir, "controller"));
    fs.writeFileSync(path.join(bundleDir, "controller", "index.js"), "exports.handler = async () => ({});\n");
    const app = Testing.app({ fakeCdktfJsonPath: true });
    const stack = new TerraformStack(app, "controller-policy");
    const store = { bucketName: bucket, bucketArn: `arn:aws:s3:::${bucket}`, region } as unknown as PackageStore;
    new RolloutController(stack, "Controller", {
      organizationId: "o-exampleorgid",
      managementAccountId: "123456789012",
      accountId: "222222222222",
      region,
      store,
      packageNames,
      alarmNames: [],
      bundleDir,
    });
    const tree = JSON.parse(Testing.synth(stack));
    const policies = Object.values<any>(tree.resource.aws_iam_role_policy).map((p) => JSON.parse(p.policy) as IamPolicy);
    const controller = policies.find((p) => p.Statement.some((s) => s.Sid === "AssumeMemberExecutionRoles"));
    if (!controller) throw new Error("no controller policy in the synthesized tree");
    if (JSON.stringify(controller).includes("${")) throw new Error("the controller policy holds a Terraform reference the S3 stub cannot resolve");
    return controller;
  } finally {
    fs.rmSync(bundleDir, { recursive: true, force: true });
  }
}

export interface ControllerWorldHelpers {
  readJson<T>(key: string): Promise<T | undefined>;
  putJson(key: string, value: unknown): Promise<unknown>;
  /** Commands of one name sent to every member client. */
  memberCalls(name: string): { account: string; region: string; input: Record<string, unknown> }[];
  /** A new ACTIVE member account in the OU. */
  createAccount(name: string): Promise<string>;
}

export function useControllerWorld(bucket: string, options: ControllerWorldOptions = {}): ControllerWorld & ControllerWorldHelpers {
  let moto: MotoServer | null;
  let restoreEnv: () => void;
  const world = {} as ControllerWorld & ControllerWorldHelpers;

  world.readJson = async <T>(key: string): Promise<T | undefined> => {
    try {
      const object = await world.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return JSON.parse(await object.Body!.transformToString("utf-8")) as T;
    } catch (error) {
      if ((error as Error).name === "NoSuchKey") return undefined;
      throw error;
    }
  };
  world.putJson = (key, value) => world.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value) }));
  world.memberCalls = (name) => [...world.stubs.values()].flatMap(({ account, region, stub }) => stub.named(name).map((s) => ({ account, region, input: s.input })));
  world.createAccount = async (name) => {
    const created = await world.organizations.send(new CreateAccountCommand({ AccountName: `member-${name}`, Email: `${name}@example.com` }));
    const id = created.CreateAccountStatus!.AccountId!;
    await world.organizations.send(new MoveAccountCommand({ AccountId: id, SourceParentId: world.rootId, DestinationParentId: world.ouId }));
    return id;
  };

  const policy = synthesizedControllerPolicy(bucket, options.packages ?? []);

  beforeAll(async () => {
    moto = await startMoto();
    restoreEnv = useFakeAwsEnv(moto?.endpoint);
    world.s3 = new S3Client(s3ClientConfig(CENTRAL_REGION));
    world.organizations = new OrganizationsClient(clientConfig(CENTRAL_REGION));
  });

  afterAll(async () => {
    restoreEnv?.();
    await moto?.stop();
  });

  beforeEach(async () => {
    await moto?.reset();
    await world.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await world.organizations.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
    world.rootId = (await world.organizations.send(new ListRootsCommand({}))).Roots![0]!.Id!;
    world.ouId = (await world.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: world.rootId, Name: "workloads" }))).OrganizationalUnit!.Id!;
    world.accounts = [];
    for (const name of ["a", "b"]) world.accounts.push(await world.createAccount(name));
    world.accounts.sort();

    world.stubs = new Map();
    const cache = new CredentialCache();
    world.cache = cache;
    const sts = centralStsClient(CENTRAL_REGION);
    world.stsSent = spySend(sts);
    const s3 = new S3Client(s3ClientConfig(CENTRAL_REGION));
    world.s3Policy = structuredClone(policy);
    // S3's authorization inside, the recording outside: s3Sent holds refused commands too.
    world.s3Rules = { missingKeyPrefix: options.missingKeyPrefix ?? "absent" };
    world.s3Decisions = enforceS3Policy(s3, () => world.s3Policy, world.s3Rules);
    world.s3Sent = spySend(s3);
    const cloudwatch = new CloudWatchClient(clientConfig(CENTRAL_REGION));
    world.cwSent = spySend(cloudwatch);
    world.deps = {
      s3,
      organizations: world.organizations,
      cloudwatch,
      sts,
      credentialCache: cache,
      backoff: { sleep: async () => undefined },
      pair: { sleep: async () => undefined },
      memberSsm: async (account, region, runId) => {
        const client = await memberSsm(sts, { account, partition: "aws", roleName: EXECUTION_ROLE_NAME, sessionName: `aft-fleet-${runId}` }, region, { cache });
        if (!world.stubs.has(client)) world.stubs.set(client, { account, region, stub: installSsmStub(client) });
        return client;
      },
    };
  });

  return world;
}
