/*
 * The Glue tables over the resource data sync's folders, declared here instead of inferred by a crawler.
 *
 * A resource data sync (SyncFormat JsonSerDe) writes one JSON-lines object per node and inventory type to
 *   <prefix>/<TypeName>/accountid=<account>/region=<Region>/resourcetype=<type>/<node>.json
 * ("Walkthrough: Use resource data sync to aggregate inventory data", Systems Manager User Guide: its
 * CREATE EXTERNAL TABLE statements partition every type by (AccountId, Region, ResourceType) with the OpenX
 * JsonSerDe; the resource type folder is "generally ManagedInstanceInventory", AWS Cloud Operations best
 * practices, central patch reporting).
 *
 * Why declared: a crawler that infers AWS:InstanceInformation finds the node's own `ResourceType` attribute
 * in the data and the `resourcetype=` folder in the path, and writes both into the table; Athena then refuses
 * the table (duplicate column). The seed and AWS's patch-reporting sample delete the column with a Lambda
 * after every crawl. Here the tables are ours, the data column is left out, and the crawler only adds
 * partitions to these tables (catalog targets, schema changes logged, never applied).
 *
 * Columns: the attributes of each type ("Metadata collected by inventory", Systems Manager User Guide),
 * lower-cased (Glue and Athena column names), plus the fields the sync adds to every object (resourceid,
 * capturetime, schemaversion) and, on instance information, instancestatus. The JsonSerDe matches keys
 * case-insensitively and gives NULL for a declared column an object lacks.
 */

export interface InventoryColumn {
  readonly name: string;
  readonly type: "string" | "int";
}

export interface InventoryTableSpec {
  /** The sync's folder (inventory type name). */
  readonly typeName: string;
  /** The Glue table name, as the seed's and AWS's queries name it. */
  readonly table: string;
  readonly description: string;
  readonly columns: readonly InventoryColumn[];
}

/** The sync's three path levels below the type folder, in path order. */
export const INVENTORY_PARTITION_KEYS: readonly string[] = ["accountid", "region", "resourcetype"];

const strings = (...names: string[]): InventoryColumn[] => names.map((name) => ({ name, type: "string" }));
const ints = (...names: string[]): InventoryColumn[] => names.map((name) => ({ name, type: "int" }));
/** Added by the sync to every object it writes. */
const SYNC_FIELDS = strings("resourceid", "capturetime", "schemaversion");

export const INVENTORY_TABLES: readonly InventoryTableSpec[] = [
  {
    typeName: "AWS:InstanceInformation",
    table: "aws_instanceinformation",
    description: "Managed nodes: agent, platform, address and status (AWS:InstanceInformation)",
    // The type's own ResourceType attribute (EC2Instance, ManagedInstance) is left out: its name is the
    // sync's partition key, and a table with both is the duplicate column Athena refuses.
    columns: [
      ...SYNC_FIELDS,
      ...strings("agenttype", "agentversion", "computername", "iamrole", "instanceid", "ipaddress", "platformname", "platformtype", "platformversion", "instancestatus"),
    ],
  },
  {
    typeName: "AWS:ComplianceItem",
    table: "aws_complianceitem",
    description: "Compliance items per node, one per patch for compliance type Patch (AWS:ComplianceItem)",
    columns: [
      ...SYNC_FIELDS,
      ...strings(
        "compliancetype", "executionid", "executiontype", "executiontime", "id", "title", "status", "severity",
        "documentname", "documentversion", "classification", "patchbaselineid", "patchseverity", "patchstate", "patchgroup", "installedtime",
      ),
    ],
  },
  {
    typeName: "AWS:ComplianceSummary",
    table: "aws_compliancesummary",
    description: "Compliance summary per node and compliance type (AWS:ComplianceSummary)",
    columns: [
      ...SYNC_FIELDS,
      ...strings("compliancetype", "patchgroup", "patchbaselineid", "status", "overallseverity", "executionid", "executiontype", "executiontime", "lastcompliancestatemodifiedtime"),
      ...ints(
        "compliantcriticalcount", "complianthighcount", "compliantmediumcount", "compliantlowcount", "compliantinformationalcount", "compliantunspecifiedcount",
        "noncompliantcriticalcount", "noncomplianthighcount", "noncompliantmediumcount", "noncompliantlowcount", "noncompliantinformationalcount", "noncompliantunspecifiedcount",
      ),
    ],
  },
  {
    typeName: "AWS:PatchSummary",
    table: "aws_patchsummary",
    description: "The last patch operation per node: baseline, counts and times (AWS:PatchSummary)",
    columns: [
      ...SYNC_FIELDS,
      ...strings("patchgroup", "baselineid", "snapshotid", "ownerinformation", "operationtype", "operationstarttime", "operationendtime", "rebootoption"),
      ...ints(
        "installedcount", "installedothercount", "installedpendingrebootcount", "installedrejectedcount", "notapplicablecount", "missingcount", "failedcount",
        "criticalnoncompliantcount", "securitynoncompliantcount", "othernoncompliantcount",
      ),
    ],
  },
  {
    typeName: "AWS:Application",
    table: "aws_application",
    description: "Installed applications and packages per node (AWS:Application)",
    columns: [
      ...SYNC_FIELDS,
      ...strings("name", "applicationtype", "publisher", "version", "installedtime", "architecture", "url", "summary", "packageid", "release", "epoch"),
    ],
  },
];
