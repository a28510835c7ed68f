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
    // The copy keeps the repositories' own files (no rsync --delete) and says what AFT must re-apply.
    expect(text).not.toMatch(/rsync|--delete/);
    expect(used).toContain("copy");
    expect(text).toContain("--trigger-out trigger.json");
    expect(text).toMatch(/aws stepfunctions start-execution[\s\S]*--input file:\/\/trigger\.json/);
    expect(text).toContain("stateMachine:aft-invoke-customizations");
  });

  it("references only npm scripts that exist in package.json", () => {
    expect(used.length).toBeGreaterThan(0);
    for (const script of used) expect(scripts).toContain(script);
  });
});

it("the workflow runs on pull requests, on pushes to main and by hand (to re-run a failed trigger)", () => {
  const doc = parse(fs.readFileSync(path.join(ROOT, "examples", "ci", "github-actions.yml"), "utf8"));
  expect(Object.keys(doc.on)).toEqual(["pull_request", "push", "workflow_dispatch"]);
  expect(doc.on.workflow_dispatch.inputs.trigger.options).toEqual(["central", "all"]);
  expect(doc.on.push.branches).toEqual(["main"]);
});
