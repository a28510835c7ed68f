/** The CI examples parse as YAML and call only npm scripts that exist. */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

const ROOT = path.join(__dirname, "..");
const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts);

/** Every string in a parsed YAML document. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}

describe.each(["github-actions.yml", "buildspec.yml"])("examples/ci/%s", (file) => {
  const doc = parse(fs.readFileSync(path.join(ROOT, "examples", "ci", file), "utf8"), { uniqueKeys: true });
  const used = strings(doc).flatMap((s) => [...s.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!));

  it("runs npm ci, synth, the dist/ check and the report", () => {
    const text = strings(doc).join("\n");
    expect(text).toContain("npm ci");
    expect(used).toEqual(expect.arrayContaining(["synth", "report"]));
    expect(text).toContain("git status --porcelain dist/");
    expect(text).toContain("--base");
    expect(text).toContain("dist/aft-global-customizations/api_helpers/");
  });

  it("references only npm scripts that exist in package.json", () => {
    expect(used.length).toBeGreaterThan(0);
    for (const script of used) expect(scripts).toContain(script);
  });
});

it("the workflow runs on pull requests and on pushes to main", () => {
  const doc = parse(fs.readFileSync(path.join(ROOT, "examples", "ci", "github-actions.yml"), "utf8"));
  expect(Object.keys(doc.on)).toEqual(["pull_request", "push"]);
  expect(doc.on.push.branches).toEqual(["main"]);
});
