import {
  CloseAccountCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { expandTargets, handler } from "../../lambdas/expand-targets";
import { clientConfig } from "../../lambdas/shared/clients";
import { InputError } from "../../lambdas/shared/validate";
import { motoAvailable, startMoto, useFakeAwsEnv, type MotoServer } from "../helpers/moto";
import { awsError, recordingSleep, spySend, stubSend } from "./stub";

const describeMoto = motoAvailable() ? describe : describe.skip;

describeMoto("expand-targets against moto Organizations", () => {
  let moto: MotoServer | null;
  let restoreEnv: () => void;
  let org: OrganizationsClient;
  const tree = { root: "", ouA: "", ouA1: "", ouA1x: "", ouB: "" };
  const members: Record<string, string[]> = {};
  let suspended = "";
  let outside: string[] = [];

  async function createAccounts(parent: string, label: string, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const created = await org.send(new CreateAccountCommand({ AccountName: `${label}-${i}`, Email: `${label}-${i}@example.com` }));
      const id = created.CreateAccountStatus?.AccountId as string;
      if (parent !== tree.root) await org.send(new MoveAccountCommand({ AccountId: id, SourceParentId: tree.root, DestinationParentId: parent }));
      ids.push(id);
    }
    return ids;
  }

  async function createOu(parent: string, name: string): Promise<string> {
    const response = await org.send(new CreateOrganizationalUnitCommand({ ParentId: parent, Name: name }));
    return response.OrganizationalUnit?.Id as string;
  }

  beforeAll(async () => {
    moto = await startMoto();
    restoreEnv = useFakeAwsEnv(moto?.endpoint);
    // No endpoint passed: the SDK must pick AWS_ENDPOINT_URL up from the environment by itself.
    org = new OrganizationsClient(clientConfig());
    await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
    tree.root = (await org.send(new ListRootsCommand({}))).Roots?.[0]?.Id as string;
    tree.ouA = await createOu(tree.root, "workloads");
    tree.ouA1 = await createOu(tree.ouA, "workloads-prod");
    tree.ouA1x = await createOu(tree.ouA1, "workloads-prod-eu");
    tree.ouB = await createOu(tree.root, "sandbox");
    // 120 ACTIVE accounts three OU levels deep, more than one page (moto pages at 20) per OU.
    members.ouA = await createAccounts(tree.ouA, "a", 30);
    members.ouA1 = await createAccounts(tree.ouA1, "a1", 30);
    members.ouA1x = await createAccounts(tree.ouA1x, "a1x", 20);
    members.ouB = await createAccounts(tree.ouB, "b", 40);
    suspended = (await createAccounts(tree.ouB, "closed", 1))[0]!;
    await org.send(new CloseAccountCommand({ AccountId: suspended }));
    outside = await createAccounts(tree.root, "outside", 2);
  }, 60_000);

  afterAll(async () => {
    restoreEnv?.();
    await moto?.stop();
  });

  const allActive = (): string[] => [...members.ouA!, ...members.ouA1!, ...members.ouA1x!, ...members.ouB!].sort();

  it("expands nested OUs across pages into 120 sorted ACTIVE accounts in groups of 50/50/20", async () => {
    const sent = spySend(org);
    const result = await expandTargets({ organizationalUnits: [tree.ouA, tree.ouB], accounts: [] }, { organizations: org });

    expect(result.accounts).toEqual(allActive());
    expect(result.accounts).toHaveLength(120);
    expect(result.groups.map((group) => group.length)).toEqual([50, 50, 20]);
    expect(result.groups.flat()).toEqual(result.accounts);
    expect(result.skipped).toEqual([{ accountId: suspended, reason: "account state is SUSPENDED" }]);

    const listed = sent.filter((command) => command.name === "ListAccountsForParent");
    expect(new Set(listed.map((command) => command.input.ParentId))).toEqual(new Set([tree.ouA, tree.ouA1, tree.ouA1x, tree.ouB]));
    expect(listed.some((command) => command.input.NextToken !== undefined)).toBe(true);
    expect(sent.filter((command) => command.name === "ListOrganizationalUnitsForParent")).toHaveLength(4);
    expect(sent.some((command) => command.name === "DescribeAccount")).toBe(false);
  });

  it("de-duplicates overlapping OUs and accounts, applies excludes, keeps only ACTIVE explicit members", async () => {
    const excluded = [members.ouA![0]!, members.ouB![5]!];
    const nonMember = "999999999999";
    const sent = spySend(org);
    const result = await expandTargets(
      {
        organizationalUnits: [tree.ouA1, tree.ouA, tree.ouA1x],
        accounts: [outside[0]!, members.ouA![3]!, suspended, nonMember, outside[0]!],
        excludeAccounts: excluded,
      },
      { organizations: org },
    );

    const expected = [...members.ouA!, ...members.ouA1!, ...members.ouA1x!, outside[0]!].filter((id) => id !== excluded[0]).sort();
    expect(result.accounts).toEqual(expected);
    expect(result.groups.map((group) => group.length)).toEqual([50, 30]);
    expect(result.skipped).toEqual(
      [
        { accountId: excluded[0]!, reason: "excluded" },
        { accountId: suspended, reason: "account state is SUSPENDED" },
        { accountId: nonMember, reason: "not a member of the organization" },
      ].sort((a, b) => (a.accountId < b.accountId ? -1 : 1)),
    );
    // Each OU is listed once although it was named and also nested; only accounts not seen in OUs are described.
    expect(sent.filter((c) => c.name === "ListOrganizationalUnitsForParent").map((c) => c.input.ParentId).sort()).toEqual(
      [tree.ouA, tree.ouA1, tree.ouA1x].sort(),
    );
    expect(sent.filter((c) => c.name === "DescribeAccount").map((c) => c.input.AccountId).sort()).toEqual(
      [outside[0]!, suspended, nonMember].sort(),
    );
  });

  it("runs as a Lambda handler with clients built from the environment", async () => {
    const result = await handler({ organizationalUnits: [tree.ouA1x], accounts: [], groupSize: 8 });
    expect(result.accounts).toEqual([...members.ouA1x!].sort());
    expect(result.groups.map((group) => group.length)).toEqual([8, 8, 4]);
  });

  it("fails loudly on an OU that does not exist", async () => {
    await expect(
      expandTargets({ organizationalUnits: ["ou-zzzz-zzzzzzzz"], accounts: [] }, { organizations: org }),
    ).rejects.toMatchObject({ name: "ParentNotFoundException" });
  });
});

describe("expand-targets with a stubbed Organizations client", () => {
  let restoreEnv: () => void;
  beforeAll(() => {
    restoreEnv = useFakeAwsEnv();
  });
  afterAll(() => restoreEnv());

  it("retries ThrottlingException with growing backoff and then succeeds", async () => {
    const org = new OrganizationsClient(clientConfig());
    let listCalls = 0;
    const sent = stubSend(org, (command) => {
      if (command.name === "ListAccountsForParent") {
        listCalls++;
        if (listCalls <= 2) throw awsError("ThrottlingException", "Rate exceeded");
        return { Accounts: [{ Id: "111111111111", State: "ACTIVE" }, { Id: "222222222222", State: "PENDING_CLOSURE" }] };
      }
      return { OrganizationalUnits: [] };
    });
    const { delays, sleep } = recordingSleep();

    const result = await expandTargets(
      { organizationalUnits: ["ou-abcd-12345678"], accounts: [] },
      { organizations: org, backoff: { baseDelayMs: 100, random: () => 1, sleep } },
    );

    expect(listCalls).toBe(3);
    expect(sent.map((command) => command.name)).toEqual([
      "ListAccountsForParent",
      "ListAccountsForParent",
      "ListAccountsForParent",
      "ListOrganizationalUnitsForParent",
    ]);
    expect(delays).toEqual([100, 200]);
    expect(result.accounts).toEqual(["111111111111"]);
    expect(result.skipped).toEqual([{ accountId: "222222222222", reason: "account state is PENDING_CLOSURE" }]);
  });

  it("gives up after maxAttempts and surfaces the throttling error", async () => {
    const org = new OrganizationsClient(clientConfig());
    const sent = stubSend(org, () => {
      throw awsError("TooManyRequestsException");
    });
    const { delays, sleep } = recordingSleep();
    await expect(
      expandTargets({ organizationalUnits: ["r-abcd"], accounts: [] }, { organizations: org, backoff: { maxAttempts: 4, sleep } }),
    ).rejects.toMatchObject({ name: "TooManyRequestsException" });
    expect(sent).toHaveLength(4);
    expect(delays).toHaveLength(3);
  });

  it("uses legacy Status when State is absent", async () => {
    const org = new OrganizationsClient(clientConfig());
    stubSend(org, (command) =>
      command.name === "DescribeAccount"
        ? { Account: { Id: command.input.AccountId, Status: command.input.AccountId === "333333333333" ? "SUSPENDED" : "ACTIVE" } }
        : {},
    );
    const result = await expandTargets({ organizationalUnits: [], accounts: ["333333333333", "444444444444"] }, { organizations: org });
    expect(result).toEqual({
      accounts: ["444444444444"],
      groups: [["444444444444"]],
      skipped: [{ accountId: "333333333333", reason: "account state is SUSPENDED" }],
    });
  });

  it.each([
    [{ organizationalUnits: ["ou-bad"], accounts: [] }, "organizationalUnits[0]"],
    [{ organizationalUnits: [], accounts: ["12345"] }, "accounts[0]"],
    [{ organizationalUnits: [], accounts: [], excludeAccounts: "111111111111" }, "excludeAccounts"],
    [{ organizationalUnits: [], accounts: [], groupSize: 51 }, "groupSize"],
    [{ accounts: [] }, "organizationalUnits"],
  ])("rejects a malformed event %#", async (event, field) => {
    const org = new OrganizationsClient(clientConfig());
    const sent = stubSend(org, () => ({}));
    const error = await expandTargets(event, { organizations: org }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).field).toBe(field);
    expect(sent).toHaveLength(0);
  });
});
