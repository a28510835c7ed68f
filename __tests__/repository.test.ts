import * as fs from "node:fs";
import * as path from "node:path";
import { fleetJsonSchemaText } from "../modules/config/json-schema";

const root = path.join(__dirname, "..");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (["node_modules", "dist", "cdktf.out", ".git"].includes(entry.name)) continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|js)$/.test(entry.name)) out.push(p);
  }
  return out;
}

describe("repository rules", () => {
  it("imports provider bindings only by deep path, never the barrel (seconds and ~600 MB per process)", () => {
    const barrel = /(from\s+|require\(\s*|import\(\s*)["']@cdktf\/provider-(aws|archive)["']/;
    const offenders = sourceFiles(root).filter((f) => f !== __filename && barrel.test(fs.readFileSync(f, "utf8")));
    expect(offenders.map((f) => path.relative(root, f))).toEqual([]);
  });

  it("catches a barrel import when there is one", () => {
    const barrel = /(from\s+|require\(\s*|import\(\s*)["']@cdktf\/provider-(aws|archive)["']/;
    // Assembled so that this file does not itself contain a barrel import line.
    expect(barrel.test(`import { S3Bucket } from "@cdktf/${"provider-aws"}";`)).toBe(true);
    expect(barrel.test('import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";')).toBe(false);
  });

  it("keeps modules free of imports from customizations and lambdas free of imports from modules", () => {
    const bad: string[] = [];
    for (const f of sourceFiles(path.join(root, "modules"))) {
      if (/from\s+["'](\.\.\/)+(account-customizations|global-customizations|main)/.test(fs.readFileSync(f, "utf8"))) bad.push(f);
    }
    if (fs.existsSync(path.join(root, "lambdas"))) {
      for (const f of sourceFiles(path.join(root, "lambdas"))) {
        if (/from\s+["'](\.\.\/)+(modules|account-customizations|global-customizations)\//.test(fs.readFileSync(f, "utf8"))) bad.push(f);
      }
    }
    expect(bad.map((f) => path.relative(root, f))).toEqual([]);
  });

  it("keeps the contract free of imports, lambdas on the contract alone, and the entry point off scripts/", () => {
    const imports = (f: string) => [...fs.readFileSync(f, "utf8").matchAll(/(?:from\s+|require\()\s*["']([^"']+)["']/g)].map((m) => m[1]!);
    const bad: string[] = [];
    for (const f of sourceFiles(path.join(root, "contract"))) {
      for (const i of imports(f)) if (!i.startsWith("./")) bad.push(`${path.relative(root, f)} -> ${i}`);
    }
    for (const f of sourceFiles(path.join(root, "lambdas"))) {
      for (const i of imports(f)) if (/^(\.\.\/)+(modules|account-customizations|global-customizations|scripts|main)/.test(i)) bad.push(`${path.relative(root, f)} -> ${i}`);
    }
    for (const i of imports(path.join(root, "main.ts"))) if (i.startsWith("./scripts/")) bad.push(`main.ts -> ${i}`);
    expect(bad).toEqual([]);
  });

  it("commits a JSON Schema generated from the current zod schema (run `npm run schema` after changing it)", () => {
    expect(fs.readFileSync(path.join(root, "schema", "fleet.schema.json"), "utf8")).toBe(fleetJsonSchemaText());
  });
});
