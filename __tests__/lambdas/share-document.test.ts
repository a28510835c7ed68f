import { CreateDocumentCommand, DescribeDocumentPermissionCommand, SSMClient } from "@aws-sdk/client-ssm";
import { MAX_ACCOUNTS_PER_CALL, handler, shareDocument } from "../../lambdas/share-document";
import { clientConfig, perRegion } from "../../lambdas/shared/clients";
import { InputError } from "../../lambdas/shared/validate";
import { motoAvailable, startMoto, useFakeAwsEnv, type MotoServer } from "../helpers/moto";
import { awsError, recordingSleep, spySend, stubSend } from "./stub";

const SELF = "123456789012";
const accountIds = (count: number, start = 200000000000): string[] =>
  Array.from({ length: count }, (_, i) => String(start + i * 7919));

const describeMoto = motoAvailable() ? describe : describe.skip;

describeMoto("share-document against moto SSM", () => {
  let moto: MotoServer | null;
  let restoreEnv: () => void;
  const regions = ["eu-west-1", "us-east-1"];
  let clients: Map<string, SSMClient>;
  let ssmFor: (region: string) => SSMClient;

  async function sharedWith(region: string, name: string): Promise<string[]> {
    const response = await ssmFor(region).send(new DescribeDocumentPermissionCommand({ Name: name, PermissionType: "Share" }));
    return [...(response.AccountIds ?? [])].sort();
  }

  beforeAll(async () => {
    moto = await startMoto();
    restoreEnv = useFakeAwsEnv(moto?.endpoint);
    clients = new Map();
    ssmFor = perRegion((region) => {
      const client = new SSMClient(clientConfig(region));
      clients.set(region, client);
      return client;
    });
  });

  afterAll(async () => {
    restoreEnv?.();
    await moto?.stop();
  });

  beforeEach(async () => {
    await moto?.reset();
    for (const region of regions) {
      await ssmFor(region).send(
        new CreateDocumentCommand({
          Name: "aft-fleet-DistributePackage",
          DocumentType: "Automation",
          Content: JSON.stringify({ schemaVersion: "0.3", description: "test", mainSteps: [{ name: "noop", action: "aws:sleep", inputs: { Duration: "PT1S" } }] }),
        }),
      );
    }
  });

  it("shares with 45 accounts in batches of 20/20/5 per Region and skips the owner", async () => {
    const accounts = accountIds(45);
    const sent = regions.map((region) => spySend(ssmFor(region)));

    const result = await shareDocument(
      { documentName: "aft-fleet-DistributePackage", regions: ["us-east-1", "eu-west-1", "us-east-1"], accounts: [SELF, ...accounts, accounts[0]], selfAccountId: SELF },
      { ssmFor },
    );

    const sorted = [...accounts].sort();
    expect(result.batches.map((batch) => [batch.region, batch.accounts.length])).toEqual([
      ["eu-west-1", 20],
      ["eu-west-1", 20],
      ["eu-west-1", 5],
      ["us-east-1", 20],
      ["us-east-1", 20],
      ["us-east-1", 5],
    ]);
    expect(result.batches.filter((batch) => batch.region === "us-east-1").flatMap((batch) => batch.accounts)).toEqual(sorted);
    for (const region of regions) expect(await sharedWith(region, "aft-fleet-DistributePackage")).toEqual(sorted);

    for (const commands of sent) {
      const modifies = commands.filter((command) => command.name === "ModifyDocumentPermission");
      expect(modifies).toHaveLength(3);
      for (const command of modifies) {
        expect(command.input.PermissionType).toBe("Share");
        expect((command.input.AccountIdsToAdd as string[]).length).toBeLessThanOrEqual(MAX_ACCOUNTS_PER_CALL);
        expect(command.input.AccountIdsToAdd).not.toContain(SELF);
      }
    }
  });

  it("is idempotent and passes sharedDocumentVersion through the Lambda handler", async () => {
    const accounts = accountIds(3);
    const event = { documentName: "aft-fleet-DistributePackage", regions: ["us-east-1"], accounts, sharedDocumentVersion: "$ALL" };
    await handler(event);
    const again = await handler(event);
    expect(again.batches).toEqual([{ region: "us-east-1", accounts }]);
    expect(await sharedWith("us-east-1", "aft-fleet-DistributePackage")).toEqual(accounts);
  });

  it("surfaces a missing document", async () => {
    await expect(
      shareDocument({ documentName: "does-not-exist", regions: ["us-east-1"], accounts: accountIds(1) }, { ssmFor }),
    ).rejects.toMatchObject({ name: "InvalidDocument" });
  });
});

describe("share-document with a stubbed SSM client", () => {
  let restoreEnv: () => void;
  beforeAll(() => {
    restoreEnv = useFakeAwsEnv();
  });
  afterAll(() => restoreEnv());

  it("retries a throttled batch and continues with the next", async () => {
    const ssm = new SSMClient(clientConfig("us-east-1"));
    let calls = 0;
    const sent = stubSend(ssm, () => {
      calls++;
      if (calls === 2 || calls === 3) throw awsError("ThrottlingException");
      return {};
    });
    const { delays, sleep } = recordingSleep();
    const result = await shareDocument(
      { documentName: "pkg-doc", regions: ["us-east-1"], accounts: accountIds(25) },
      { ssmFor: () => ssm, backoff: { baseDelayMs: 50, random: () => 0, sleep } },
    );
    expect(result.batches.map((batch) => batch.accounts.length)).toEqual([20, 5]);
    expect(sent).toHaveLength(4);
    expect(sent[1]!.input).toEqual(sent[3]!.input);
    expect(delays).toEqual([25, 50]);
  });

  it("does not call AWS when there is nobody to share with", async () => {
    const ssm = new SSMClient(clientConfig("us-east-1"));
    const sent = stubSend(ssm, () => ({}));
    const result = await shareDocument({ documentName: "pkg-doc", regions: ["us-east-1"], accounts: [SELF], selfAccountId: SELF }, { ssmFor: () => ssm });
    expect(result.batches).toEqual([]);
    expect(sent).toHaveLength(0);
  });

  it.each([
    [{ documentName: "x", regions: ["us-east-1"], accounts: [] }, "documentName"],
    [{ documentName: "doc", regions: [], accounts: [] }, "regions"],
    [{ documentName: "doc", regions: ["US-EAST-1"], accounts: [] }, "regions[0]"],
    [{ documentName: "doc", regions: ["us-east-1"], accounts: ["1234567890123"] }, "accounts[0]"],
    [{ documentName: "doc", regions: ["us-east-1"], accounts: [], sharedDocumentVersion: "3" }, "sharedDocumentVersion"],
  ])("rejects a malformed event %#", async (event, field) => {
    const error = await shareDocument(event, { ssmFor: () => new SSMClient(clientConfig("us-east-1")) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).field).toBe(field);
  });
});
