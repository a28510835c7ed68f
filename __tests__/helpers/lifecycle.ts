/*
 * Lifecycle-order checker: walks AFT's stages over emitted `aft-fleet.tf.json` trees and
 * reports every resource that needs, at apply time, something no earlier stage created.
 *
 * AFT runs, per account pipeline, Global-Customizations then Account-Customizations, `terraform apply
 * --auto-approve`, no plan review; a failed stage stops the pipeline. Member pipelines run independently
 * of the central account's. So a need is satisfied only by (a) an earlier applied stage (any account: S3
 * bucket names and IAM ARNs are global) or (b) a resource of the same tree that the needing resource
 * references (`${...}` or `depends_on`, directly or through locals/other resources): Terraform orders it.
 *
 * Rule table (NEED_RULES, keyed by resource type; data sources as `data.<type>`):
 *   aws_ssm_document                 attachments_source SourceUrl/S3FileUrl -> S3 objects under that prefix/key
 *   aws_iam_role                     assume_role_policy Principal.AWS role ARNs -> those IAM roles
 *   aws_kms_key, aws_kms_key_policy  policy Principal.AWS role ARNs -> those IAM roles
 *   aws_s3_bucket_policy             policy Principal.AWS role ARNs -> those IAM roles
 *   aws_s3_object                    bucket -> that bucket
 *   aws_ssm_resource_data_sync       s3_destination.bucket_name -> that bucket
 *   aws_lambda_function              role -> that IAM role
 *   aws_ssm_association              name (not AWS-owned) -> that SSM document in the account and Region
 *   aws_ssm_maintenance_window_task  task_arn (not AWS-owned) -> that document; service_role_arn -> that role
 *   data.aws_s3_object               bucket + key -> that object
 *   data.aws_s3_bucket               bucket -> that bucket
 *   data.aws_iam_role                name -> that role in the applying account
 *   data.aws_ssm_document            name -> that document in the account and Region
 * Account roots (`arn:aws:iam::<acct>:root`), bare account ids, `*` and service principals always exist.
 * What a resource creates (PROVIDER_RULES): aws_s3_bucket (bucket), aws_s3_object (bucket/key),
 * aws_iam_role (ARN in the applying account), aws_ssm_document (account/Region/name).
 */
import * as fs from "node:fs";

/** One parsed `aft-fleet.tf.json` (Terraform JSON syntax). */
export type TfJson = Readonly<Record<string, unknown>>;

export type TreeKind = "global" | "account";

export interface TfResource {
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly name: string;
  /** `aws_x.name`, or `data.aws_x.name`. */
  readonly address: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** Addresses this resource references, transitively (`${...}`, `depends_on`, locals): Terraform applies them first. */
  readonly references: ReadonlySet<string>;
  /** Every resource of the same tree, by address (to resolve `${aws_x.name.attr}`). */
  readonly tree: ReadonlyMap<string, TfResource>;
}

/** Something that must exist when a resource is applied, or that a resource creates. */
export type Thing =
  | { readonly kind: "s3-bucket"; readonly bucket: string }
  | { readonly kind: "s3-object"; readonly bucket: string; readonly key: string }
  /** At least one object below `prefix` (a `SourceUrl` folder). */
  | { readonly kind: "s3-prefix"; readonly bucket: string; readonly prefix: string }
  | { readonly kind: "iam-role"; readonly arn: string }
  | { readonly kind: "ssm-document"; readonly account: string; readonly region: string; readonly name: string };

export type Need = Thing & { readonly reason: string };

export interface Stage {
  readonly account: string;
  readonly tree: TreeKind;
  readonly json: TfJson;
  /** Shown in violations; default `<tree>(<account>)`. */
  readonly label?: string;
  /** false: apply the stage as a precondition (its outcome is assumed) without checking its needs. Default true. */
  readonly verify?: boolean;
}

export interface Violation {
  readonly stage: string;
  readonly address: string;
  readonly needs: string;
  readonly reason: string;
}

/** Region of resources without a `region` argument: AFT's provider Region (the Control Tower home Region). */
export const PROVIDER_REGION = "<provider-region>";
/** Account placeholder when a caller does not say which account a tree is applied to. */
export const ANY_ACCOUNT = "<account>";

/** The cited behaviour behind each rule; violations carry one of these as `reason`. */
export const REASONS = {
  ssmDocumentAttachments:
    "SSM CreateDocument/UpdateDocument copies attachments_source objects from S3 when called: they must already exist",
  policyRolePrincipal:
    "IAM, KMS and S3 validate a role principal when the policy is written (invalid principal): the role must exist; account roots always do",
  s3ObjectBucket: "S3 PutObject fails with NoSuchBucket when the bucket does not exist",
  dataSyncBucket: "SSM CreateResourceDataSync checks its S3 destination bucket when the sync is created",
  lambdaRole: "Lambda CreateFunction assumes the execution role to validate it: the role must exist",
  associationDocument: "SSM CreateAssociation fails with InvalidDocument when the document does not exist in that account and Region",
  windowTaskDocument: "SSM RegisterTaskWithMaintenanceWindow fails when its TaskArn names a document that does not exist in that account and Region",
  windowTaskRole: "SSM RegisterTaskWithMaintenanceWindow needs its ServiceRoleArn to exist (SSM passes it at every run)",
  dataS3Object: "data.aws_s3_object reads the object (HeadObject) during plan: a missing object fails the run",
  dataS3Bucket: "data.aws_s3_bucket reads the bucket (HeadBucket) during plan: a missing bucket fails the run",
  dataIamRole: "data.aws_iam_role calls GetRole in the applying account during plan: NoSuchEntity fails the run",
  dataSsmDocument: "data.aws_ssm_document calls GetDocument during plan: a missing document fails the run",
} as const;

const SAME_TREE_UNORDERED =
  "created in the same tree but not referenced (no ${...} or depends_on), so Terraform may create it in parallel or later";

// ---------------------------------------------------------------------------------------------- loading

/** The resources and data sources of one emitted `aft-fleet.tf.json`. */
export function loadTree(file: string): readonly TfResource[] {
  return parseTree(JSON.parse(fs.readFileSync(file, "utf8")) as TfJson);
}

/** `loadTree` for an already-parsed tree. */
export function parseTree(json: TfJson): readonly TfResource[] {
  const tree = new Map<string, TfResource>();
  const direct = new Map<string, Set<string>>();
  const collect = (mode: "managed" | "data", block: unknown) => {
    for (const [type, byName] of Object.entries(asRecord(block))) {
      for (const [name, attrs] of Object.entries(asRecord(byName))) {
        const address = mode === "data" ? `data.${type}.${name}` : `${type}.${name}`;
        const attributes = asRecord(attrs);
        tree.set(address, { mode, type, name, address, attributes, references: new Set<string>(), tree });
      }
    }
  };
  collect("managed", json.resource);
  collect("data", json.data);
  const locals = asRecord(json.locals);
  const known = new Set([...tree.keys(), ...Object.keys(locals).map((l) => `local.${l}`)]);
  for (const [name, value] of Object.entries(locals)) direct.set(`local.${name}`, referencesIn(value, known));
  for (const r of tree.values()) {
    const refs = referencesIn(r.attributes, known);
    for (const dep of asArray(r.attributes.depends_on)) if (typeof dep === "string") refs.add(dep);
    direct.set(r.address, refs);
  }
  for (const r of tree.values()) {
    const all = r.references as Set<string>;
    const walk = (address: string) => {
      for (const next of direct.get(address) ?? []) {
        if (all.has(next)) continue;
        all.add(next);
        walk(next);
      }
    };
    walk(r.address);
    for (const ref of [...all]) if (ref.startsWith("local.")) all.delete(ref);
  }
  return [...tree.values()].sort((a, b) => a.address.localeCompare(b.address));
}

/** Tree addresses (and locals) named inside `${...}` anywhere in `value`. */
function referencesIn(value: unknown, known: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  const token = /\b(?:data\.[a-z0-9_]+\.[A-Za-z0-9_-]+|local\.[A-Za-z0-9_-]+|[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_][A-Za-z0-9_-]*)/g;
  const visit = (v: unknown) => {
    if (typeof v === "string") {
      if (!v.includes("${")) return;
      for (const m of v.matchAll(token)) if (known.has(m[0])) out.add(m[0]);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === "object") Object.entries(v).forEach(([k, child]) => k !== "depends_on" && visit(child));
  };
  visit(value);
  return out;
}

// ------------------------------------------------------------------------------------------- resolution

/**
 * Resolves what can be known before apply: the applying account (`data.aws_caller_identity.*.account_id`),
 * the partition, and `${aws_x.name.attr}` of same-tree resources whose attribute is a literal.
 * Anything else stays as `${...}`.
 */
function resolve(value: string, resource: TfResource, account: string = ANY_ACCOUNT, depth = 0): string {
  if (!value.includes("${") || depth > 8) return value;
  return value.replace(/\$\{([^{}]*)\}/g, (whole, expr: string) => {
    const e = expr.trim();
    if (/^data\.aws_caller_identity\.[A-Za-z0-9_-]+\.account_id$/.test(e)) return account;
    if (/^data\.aws_partition\.[A-Za-z0-9_-]+\.partition$/.test(e)) return "aws";
    const ref = /^((?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+)\.([a-z0-9_]+)$/.exec(e);
    const target = ref ? resource.tree.get(ref[1]!) : undefined;
    if (!ref || !target) return whole;
    const attr = knownAttribute(target, ref[2]!, account);
    return attr === undefined ? whole : resolve(attr, target, account, depth + 1);
  });
}

/** Attributes known before apply: literals, plus the ids/ARNs that follow from a literal name. */
function knownAttribute(target: TfResource, attr: string, account: string): string | undefined {
  const a = target.attributes;
  const literal = (k: string) => (typeof a[k] === "string" ? (a[k] as string) : undefined);
  if (target.mode === "managed" && target.type === "aws_s3_bucket" && ["id", "bucket"].includes(attr)) return literal("bucket");
  if (target.mode === "managed" && target.type === "aws_iam_role") {
    const name = literal("name");
    if (name === undefined) return undefined;
    if (attr === "arn") return `arn:aws:iam::${account}:role${literal("path") ?? "/"}${name}`;
    if (attr === "id" || attr === "name") return name;
  }
  if (target.mode === "managed" && target.type === "aws_ssm_document" && ["id", "name"].includes(attr)) return literal("name");
  return literal(attr);
}

const unresolved = (s: string) => s.includes("${");

// ----------------------------------------------------------------------------------------------- needs

type NeedRule = (r: TfResource, account: string) => Need[];

/** Needs keyed by resource type (`data.<type>` for data sources); each entry cites the behaviour it encodes. */
const NEED_RULES: Readonly<Record<string, NeedRule>> = {
  // CreateDocument/UpdateDocument copy attachments from S3 at call time (SSM API: AttachmentsSource SourceUrl/S3FileUrl).
  aws_ssm_document: (r, account) =>
    asArray(r.attributes.attachments_source).flatMap((src) => {
      const s = asRecord(src);
      return asArray(s.values).flatMap((v) => {
        const url = typeof v === "string" ? parseS3Url(resolve(v, r, account)) : undefined;
        if (!url) return [];
        const thing: Thing =
          s.key === "S3FileUrl"
            ? { kind: "s3-object", bucket: url.bucket, key: url.key }
            : { kind: "s3-prefix", bucket: url.bucket, prefix: url.key };
        return [{ ...thing, reason: REASONS.ssmDocumentAttachments }];
      });
    }),
  // iam:CreateRole/UpdateAssumeRolePolicy reject a trust naming a role that does not exist (MalformedPolicyDocument: Invalid principal).
  aws_iam_role: (r, account) => rolePrincipals(r, "assume_role_policy", account),
  // kms:CreateKey/PutKeyPolicy reject a policy whose principal does not exist (MalformedPolicyDocumentException).
  aws_kms_key: (r, account) => rolePrincipals(r, "policy", account),
  aws_kms_key_policy: (r, account) => rolePrincipals(r, "policy", account),
  // s3:PutBucketPolicy rejects a policy whose principal does not exist (MalformedPolicy: Invalid principal in policy).
  aws_s3_bucket_policy: (r, account) => rolePrincipals(r, "policy", account),
  // s3:PutObject into a missing bucket fails with NoSuchBucket.
  aws_s3_object: (r, account) => bucketNeed(r, r.attributes.bucket, account, REASONS.s3ObjectBucket),
  // ssm:CreateResourceDataSync validates the S3 destination when the sync is created.
  aws_ssm_resource_data_sync: (r, account) =>
    asArray(r.attributes.s3_destination).flatMap((d) => bucketNeed(r, asRecord(d).bucket_name, account, REASONS.dataSyncBucket)),
  // lambda:CreateFunction fails (InvalidParameterValueException: role cannot be assumed) when the role does not exist.
  aws_lambda_function: (r, account) => {
    const role = typeof r.attributes.role === "string" ? resolve(r.attributes.role, r, account) : undefined;
    return role && isRoleArn(role) ? [{ kind: "iam-role", arn: role, reason: REASONS.lambdaRole }] : [];
  },
  // ssm:CreateAssociation fails with InvalidDocument when the named document does not exist (AWS-owned ones always do).
  aws_ssm_association: (r, account) => documentNeed(r, r.attributes.name, account, REASONS.associationDocument),
  // A window task's TaskArn is a Run Command or Automation document (RegisterTaskWithMaintenanceWindow,
  // TaskArn: "the SSM document name or ARN"); its service role is passed at every run.
  aws_ssm_maintenance_window_task: (r, account) => {
    const needs = documentNeed(r, r.attributes.task_arn, account, REASONS.windowTaskDocument);
    const role = typeof r.attributes.service_role_arn === "string" ? resolve(r.attributes.service_role_arn, r, account) : undefined;
    return role && isRoleArn(role) ? [...needs, { kind: "iam-role", arn: role, reason: REASONS.windowTaskRole }] : needs;
  },
  // The AWS provider reads data sources during plan/refresh, before any resource of the run is created.
  "data.aws_s3_object": (r, account) => {
    const bucket = str(r.attributes.bucket, r, account);
    const key = str(r.attributes.key, r, account);
    return bucket && key ? [{ kind: "s3-object", bucket, key, reason: REASONS.dataS3Object }] : [];
  },
  "data.aws_s3_bucket": (r, account) => bucketNeed(r, r.attributes.bucket, account, REASONS.dataS3Bucket),
  "data.aws_iam_role": (r, account) => {
    const name = str(r.attributes.name, r, account);
    return name ? [{ kind: "iam-role", arn: `arn:aws:iam::${account}:role/${name}`, reason: REASONS.dataIamRole }] : [];
  },
  "data.aws_ssm_document": (r, account) => documentNeed(r, r.attributes.name, account, REASONS.dataSsmDocument),
};

/**
 * What `resource` needs, at apply time, from outside its own tree: the rule table's needs minus those a
 * same-tree resource provides and `resource` references (Terraform creates that one first).
 */
export function externalNeeds(resource: TfResource, account: string = ANY_ACCOUNT): Need[] {
  const rule = NEED_RULES[resource.mode === "data" ? `data.${resource.type}` : resource.type];
  if (!rule) return [];
  return dedupe(rule(resource, account)).filter(
    (need) => ![...resource.references].some((address) => {
      const target = resource.tree.get(address);
      return target !== undefined && provides(target, account).some((p) => satisfies(p, need));
    }),
  );
}

function rolePrincipals(r: TfResource, attribute: string, account: string): Need[] {
  const statements = policyStatements(r, r.attributes[attribute]);
  const principals = statements.flatMap((s) => asArray(asRecord(s.Principal).AWS));
  return principals
    .filter((p): p is string => typeof p === "string")
    .map((p) => resolve(p, r, account))
    .filter(isRoleArn)
    .map((arn) => ({ kind: "iam-role", arn, reason: REASONS.policyRolePrincipal }));
}

/** Statements of a JSON policy string, or of the `data.aws_iam_policy_document` it interpolates. */
function policyStatements(r: TfResource, policy: unknown): Record<string, unknown>[] {
  if (typeof policy !== "string") return [];
  const doc = /^\$\{(data\.aws_iam_policy_document\.[A-Za-z0-9_-]+)\.json\}$/.exec(policy.trim());
  if (doc) {
    // The policy-document data source's principals blocks: { type = "AWS", identifiers = [...] }.
    return asArray(r.tree.get(doc[1]!)?.attributes.statement).map((s) => ({
      Principal: { AWS: asArray(asRecord(s).principals).filter((p) => asRecord(p).type === "AWS").flatMap((p) => asArray(asRecord(p).identifiers)) },
    }));
  }
  try {
    return asArray((JSON.parse(policy) as Record<string, unknown>).Statement).map(asRecord);
  } catch {
    return [];
  }
}

function bucketNeed(r: TfResource, value: unknown, account: string, reason: string): Need[] {
  const bucket = str(value, r, account);
  return bucket ? [{ kind: "s3-bucket", bucket, reason }] : [];
}

function documentNeed(r: TfResource, value: unknown, account: string, reason: string): Need[] {
  const name = str(value, r, account);
  if (!name || name.startsWith("AWS-") || name.startsWith("Amazon")) return [];
  const region = typeof r.attributes.region === "string" ? r.attributes.region : PROVIDER_REGION;
  const arn = /^arn:aws[a-z-]*:ssm:([a-z0-9-]+):(\d{12}):document\/(.+)$/.exec(name);
  if (arn) return [{ kind: "ssm-document", region: arn[1]!, account: arn[2]!, name: arn[3]!, reason }];
  return [{ kind: "ssm-document", account, region, name, reason }];
}

/** A resolved literal string, or undefined when it is still an interpolation. */
function str(value: unknown, r: TfResource, account: string): string | undefined {
  if (typeof value !== "string") return undefined;
  const s = resolve(value, r, account);
  return unresolved(s) ? undefined : s;
}

/** Role ARNs only: account roots (`:root`), users, services and `*` are not role needs. */
function isRoleArn(s: string): boolean {
  return /^arn:aws[a-z-]*:iam::[^:]+:role\/.+$/.test(s) && !unresolved(s);
}

function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  return m && !unresolved(url) ? { bucket: m[1]!, key: m[2]!.replace(/\/+$/, "") } : undefined;
}

// -------------------------------------------------------------------------------------------- provides

type ProvideRule = (r: TfResource, account: string) => Thing[];

/** What a managed resource creates, keyed by type. */
const PROVIDE_RULES: Readonly<Record<string, ProvideRule>> = {
  aws_s3_bucket: (r, account) => {
    const bucket = str(r.attributes.bucket, r, account);
    return bucket ? [{ kind: "s3-bucket", bucket }] : [];
  },
  aws_s3_object: (r, account) => {
    const bucket = str(r.attributes.bucket, r, account);
    const key = str(r.attributes.key, r, account);
    return bucket && key ? [{ kind: "s3-object", bucket, key: key.replace(/^\/+/, "") }] : [];
  },
  // IAM roles live in the account the tree is applied to; the global tree's roles exist in every account that ran it.
  aws_iam_role: (r, account) => {
    const arn = knownAttribute(r, "arn", account);
    return arn && !unresolved(arn) ? [{ kind: "iam-role", arn: resolve(arn, r, account) }] : [];
  },
  aws_ssm_document: (r, account) => {
    const name = str(r.attributes.name, r, account);
    const region = typeof r.attributes.region === "string" ? r.attributes.region : PROVIDER_REGION;
    return name ? [{ kind: "ssm-document", account, region, name }] : [];
  },
};

/** What `resource` creates when its tree is applied to `account`. Data sources create nothing. */
export function provides(resource: TfResource, account: string = ANY_ACCOUNT): Thing[] {
  if (resource.mode === "data") return [];
  return PROVIDE_RULES[resource.type]?.(resource, account) ?? [];
}

function satisfies(p: Thing, need: Thing): boolean {
  switch (need.kind) {
    case "s3-bucket":
      return p.kind === "s3-bucket" && p.bucket === need.bucket;
    case "s3-object":
      return p.kind === "s3-object" && p.bucket === need.bucket && p.key === need.key;
    case "s3-prefix":
      return p.kind === "s3-object" && p.bucket === need.bucket && (need.prefix === "" || p.key.startsWith(`${need.prefix}/`));
    case "iam-role":
      return p.kind === "iam-role" && p.arn === need.arn;
    case "ssm-document":
      return p.kind === "ssm-document" && p.account === need.account && p.region === need.region && p.name === need.name;
  }
}

/** One-line rendering of a need, as violations show it. */
export function describeThing(thing: Thing): string {
  switch (thing.kind) {
    case "s3-bucket":
      return `s3://${thing.bucket}`;
    case "s3-object":
      return `s3://${thing.bucket}/${thing.key}`;
    case "s3-prefix":
      return `s3://${thing.bucket}/${thing.prefix ? `${thing.prefix}/` : ""}*`;
    case "iam-role":
      return thing.arn;
    case "ssm-document":
      return `arn:aws:ssm:${thing.region}:${thing.account}:document/${thing.name}`;
  }
}

function dedupe(needs: Need[]): Need[] {
  const seen = new Set<string>();
  return needs.filter((n) => !seen.has(describeThing(n)) && !!seen.add(describeThing(n)));
}

// -------------------------------------------------------------------------------------------- scenarios

interface AppliedTree {
  readonly provided: readonly Thing[];
  /** Per address, the needs it had when last applied: an unchanged need is not checked again. */
  readonly needs: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * Applies `stages` in order. Each stage's needs must be met by what earlier stages created (in any
 * account) or by its own tree through Terraform's ordering. A stage replaces what the same account and
 * tree applied before (Terraform's state for that AFT state key), so removed resources disappear; a
 * resource whose address and need were already applied there is not created again and is not rechecked.
 */
export function runScenario(stages: readonly Stage[]): Violation[] {
  const applied = new Map<string, AppliedTree>();
  const violations: Violation[] = [];
  for (const stage of stages) {
    const key = `${stage.account}/${stage.tree}`;
    const label = stage.label ?? `${stage.tree}(${stage.account})`;
    const resources = parseTree(stage.json);
    const previous = applied.get(key);
    const ownProvided = resources.flatMap((r) => provides(r, stage.account));
    // What this stage's previous apply created and the new tree drops is destroyed in the same run: not available.
    const existing = [...applied].flatMap(([k, t]) =>
      k === key ? t.provided.filter((p) => ownProvided.some((o) => describeThing(o) === describeThing(p))) : t.provided,
    );
    const needsByAddress = new Map<string, Set<string>>();
    for (const r of resources) {
      const needs = externalNeeds(r, stage.account);
      needsByAddress.set(r.address, new Set(needs.map(describeThing)));
      if (stage.verify === false) continue;
      for (const need of needs) {
        if (previous?.needs.get(r.address)?.has(describeThing(need))) continue;
        if (existing.some((p) => satisfies(p, need))) continue;
        const sameTree = ownProvided.some((p) => satisfies(p, need));
        violations.push({ stage: label, address: r.address, needs: describeThing(need), reason: sameTree ? `${need.reason}; ${SAME_TREE_UNORDERED}` : need.reason });
      }
    }
    applied.set(key, { provided: ownProvided, needs: needsByAddress });
  }
  return violations;
}

export interface TreePair {
  readonly global: TfJson;
  readonly account: TfJson;
}

export interface ScenarioOptions {
  readonly centralAccount: string;
  /** A member account id; default 999999999999. */
  readonly memberAccount?: string;
  /** Change scenarios: `before` applied everywhere, then the central pipeline and a member re-run with the current trees. */
  readonly changes?: readonly { readonly name: string; readonly before: TreePair }[];
}

export interface Scenario {
  readonly name: string;
  readonly stages: readonly Stage[];
}

/** the central account's first pipeline, members before and after it, and change re-runs. */
function standardScenarios(current: TreePair, options: ScenarioOptions): Scenario[] {
  const central = options.centralAccount;
  const member = options.memberAccount ?? "999999999999";
  const centralPipeline = (pair: TreePair, verify = true): Stage[] => [
    { account: central, tree: "global", json: pair.global, verify },
    { account: central, tree: "account", json: pair.account, verify },
  ];
  const memberPipeline = (pair: TreePair, verify = true): Stage[] => [{ account: member, tree: "global", json: pair.global, verify }];
  return [
    { name: "central account's first pipeline", stages: centralPipeline(current) },
    { name: "member vended before the central account ran", stages: [...memberPipeline(current), ...centralPipeline(current)] },
    { name: "member vended after the central account ran", stages: [...centralPipeline(current), ...memberPipeline(current)] },
    ...(options.changes ?? []).map((change) => ({
      name: `${change.name}: central then member re-run`,
      stages: [
        ...centralPipeline(change.before, false),
        ...memberPipeline(change.before, false),
        ...centralPipeline(current),
        ...memberPipeline(current),
      ],
    })),
  ];
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly violations: readonly Violation[];
}

/** Runs `standardScenarios`; every scenario of a sound design has `violations: []`. */
export function runStandardScenarios(current: TreePair, options: ScenarioOptions): ScenarioResult[] {
  return standardScenarios(current, options).map((s) => ({ scenario: s.name, violations: runScenario(s.stages) }));
}

// -------------------------------------------------------------------------------------------- utilities

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Terraform JSON writes a single nested block as an object or a one-element list; a policy value as a string or list. */
function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
