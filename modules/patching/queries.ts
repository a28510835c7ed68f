/*
 * Athena named queries over the inventory tables declared in tables.ts (`AWS:ComplianceItem/` ->
 * aws_complianceitem, `AWS:InstanceInformation/` -> aws_instanceinformation, ...). A test checks every
 * column a query names against those tables. The SQL is fixed text (no config reaches it); the database
 * is set on the query, never in the SQL.
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
    description: "Managed nodes that are active (stopped, terminated and disconnected nodes carry another instancestatus)",
    query: [
      "SELECT accountid, region, resourceid, computername, platformtype, platformname, platformversion, ipaddress, agentversion",
      "FROM aws_instanceinformation",
      "WHERE COALESCE(instancestatus, 'Active') = 'Active'",
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
  {
    id: "PatchSummary",
    name: "aft-fleet-patch-summary",
    description: "The last patch operation per node: operation, baseline, missing, failed and pending-reboot counts",
    query: [
      "SELECT accountid, region, resourceid, patchgroup, baselineid, operationtype, operationendtime,",
      "       missingcount, failedcount, installedpendingrebootcount, criticalnoncompliantcount, securitynoncompliantcount",
      "FROM aws_patchsummary",
      "ORDER BY failedcount DESC, missingcount DESC, accountid, region, resourceid",
    ].join("\n"),
  },
];
