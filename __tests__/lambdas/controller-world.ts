/**
 * The world the controller's handler tests run in: moto (S3, STS, Organizations, CloudWatch) with a
 * store bucket and an organization of two member accounts in one OU, the SSM APIs moto lacks stubbed
 * per member client (ssm-association-stub.ts), and the handler's dependencies with every central call
 * recorded. `useControllerWorld` registers the jest hooks; the returned object is refilled before each test.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
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
import { spySend, type SentCommand } from "./stub";

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
}

export interface ControllerWorldHelpers {
  readJson<T>(key: string): Promise<T | undefined>;
  putJson(key: string, value: unknown): Promise<unknown>;
  /** Commands of one name sent to every member client. */
  memberCalls(name: string): { account: string; region: string; input: Record<string, unknown> }[];
  /** A new ACTIVE member account in the OU. */
  createAccount(name: string): Promise<string>;
}

export function useControllerWorld(bucket: string): ControllerWorld & ControllerWorldHelpers {
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
