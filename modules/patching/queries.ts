/*
 * Athena named queries over the tables the Glue crawler makes from the resource data sync's folders
 * (`AWS:ComplianceItem/` -> aws_complianceitem, `AWS:InstanceInformation/` -> aws_instanceinformation).
 * The SQL is fixed text (no config reaches it); the database is set on the query, never in the SQL.
 */

export interface NamedQuerySpec {
  /** Construct id and query name suffix. */
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly query: string;
}

export const NAMED_QUERIES: readonly NamedQuerySpec[] = [
  {
    id: "NonCompliantPatches",
    name: "aft-fleet-non-compliant-patches",
    description: "Patches missing or failed on managed nodes (patch compliance items that are NON_COMPLIANT)",
    query: [
      "SELECT accountid, region, resourceid, id, title, classification, severity, patchstate, status, capturetime",
      "FROM aws_complianceitem",
      "WHERE status = 'NON_COMPLIANT' AND compliancetype = 'Patch'",
      "ORDER BY accountid, region, resourceid, id",
    ].join("\n"),
  },
  {
    id: "NodeList",
    name: "aft-fleet-managed-nodes",
    description: "Managed nodes reporting to Systems Manager (terminated nodes carry an instancestatus and are left out)",
    query: [
      "SELECT accountid, region, resourceid, computername, platformtype, platformname, platformversion, ipaddress, agentversion",
      "FROM aws_instanceinformation",
      "WHERE instancestatus IS NULL",
      "ORDER BY accountid, region, resourceid",
    ].join("\n"),
  },
  {
    id: "ComplianceReport",
    name: "aft-fleet-patch-compliance-report",
    description: "Patch compliance per node joined with the node's platform and address",
    query: [
      "SELECT ci.accountid, ci.region, ci.resourceid, ci.status, ci.compliancetype, ci.classification, ci.id, ci.patchstate,",
      "       ci.installedtime, ci.capturetime, ii.platformname, ii.platformtype, ii.ipaddress, ii.instancestatus",
      "FROM aws_complianceitem ci",
      "INNER JOIN aws_instanceinformation ii",
      "  ON ci.resourceid = ii.resourceid AND ci.accountid = ii.accountid AND ci.region = ii.region",
      "WHERE ci.compliancetype = 'Patch'",
      "ORDER BY ci.accountid, ci.region, ci.resourceid, ci.id",
    ].join("\n"),
  },
];
