/*
 * Hostile input, class by class: every case asserts the message (file or flag, field path, what is
 * allowed), that no stack trace is printed, and that nothing was written or replaced.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../main";
import { readTemplate, tfJsonLiteral, tfLiteral } from "../modules/core/literal";
import { baseConfig, basePackageFiles, makeFixture, type Fixture } from "./helpers/fixture";
import { snapshot } from "./helpers/snapshot";

let stderr: jest.SpyInstance;
let stdout: jest.SpyInstance;
const errors = () => stderr.mock.calls.map((c) => String(c[0])).join("");

beforeEach(() => {
  stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
  stdout = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterEach(() => {
  stderr.mockRestore();
  stdout.mockRestore();
});

/** Runs synth in `fx` (cwd = the fixture) and checks: exit code, message, no stack trace, fixture unchanged. */
async function refused(fx: Fixture, args: string[], message: RegExp, code = 1): Promise<void> {
  const before = snapshot(fx.dir);
  const cwd = process.cwd();
  process.chdir(fx.dir);
  try {
    expect(await main(args)).toBe(code);
  } finally {
    process.chdir(cwd);
  }
  expect(errors()).toMatch(message);
  expect(errors()).not.toMatch(/\n\s+at .*\(/);
  expect(snapshot(fx.dir)).toEqual(before);
}

describe("--out: only a dedicated output folder is ever written", () => {
  let fx: Fixture;
  beforeEach(() => (fx = makeFixture()));
  afterEach(() => fx.cleanup());

  it("refuses the working directory (a checkout with .git would be wiped)", async () => {
    fx.write({ ".git/HEAD": "ref: refs/heads/main\n" });
    await refused(fx, ["synth", "--config", "fleet.json", "--out", "."], /--out \.: is the working directory/);
  });

  it("refuses an empty path", async () => {
    await refused(fx, ["synth", "--config", "fleet.json", "--out", ""], /--out: got an empty path; allowed: a folder/);
  });

  it("refuses the file-system root without a stack trace", async () => {
    await refused(fx, ["synth", "--config", "fleet.json", "--out", "/"], /--out \/: contains the working directory/);
  });

  it("refuses a folder that holds the config or the package sources, and a folder inside a package source", async () => {
    fx.write({ "sub/fleet.json": fs.readFileSync(fx.configFile, "utf8"), "sub/pkg/1.0.0/linux/install.sh": "echo i\n", "sub/pkg/1.0.0/linux/uninstall.sh": "echo u\n", "sub/pkg/1.0.0/windows/install.ps1": "i\n", "sub/pkg/1.0.0/windows/uninstall.ps1": "u\n" });
    await refused(fx, ["synth", "--config", "sub/fleet.json", "--out", "sub"], /--out sub: contains the config file/);
    await refused(fx, ["synth", "--config", "fleet.json", "--out", "pkg"], /--out pkg: is a package source folder|--out pkg: contains a package source folder|is the .*package source/);
    await refused(fx, ["synth", "--config", "fleet.json", "--out", "pkg/1.0.0/linux/out"], /is inside a package source folder/);
  });

  it("refuses an existing file, the config file itself included", async () => {
    fx.write({ "notes.txt": "keep me\n" });
    await refused(fx, ["synth", "--config", "fleet.json", "--out", "notes.txt"], /--out notes\.txt: is a file/);
    await refused(fx, ["synth", "--config", "fleet.json", "--out", "fleet.json"], /--out fleet\.json: is the config file/);
  });

  it("refuses a folder with files aft-fleet did not write, and one where files were added to its output", async () => {
    fx.write({ "mine/thesis.tex": "years of work\n" });
    await refused(fx, ["synth", "--config", "fleet.json", "--out", "mine"], /holds files aft-fleet did not write \(no \.aft-fleet-output marker: thesis\.tex\)/);
    const cwd = process.cwd();
    process.chdir(fx.dir);
    try {
      expect(await main(["synth", "--config", "fleet.json", "--out", "dist"])).toBe(0);
    } finally {
      process.chdir(cwd);
    }
    fx.write({ "dist/aft-global-customizations/terraform/custom.tf": "# mine\n" });
    await refused(fx, ["synth", "--config", "fleet.json", "--out", "dist"], /holds files aft-fleet did not write \(aft-global-customizations\/terraform\/custom\.tf\)/);
  });

  it("refuses a forged marker that lists paths outside the folder", async () => {
    fx.write({ "out/.aft-fleet-output": "# aft-fleet output: the files below were written by aft-fleet and are replaced by the next synth.\n../fleet.json\n", "out/x": "x" });
    await refused(fx, ["synth", "--config", "fleet.json", "--out", "out"], /no \.aft-fleet-output marker/);
  });

  it("refuses an unwritable location with a one-line reason", async () => {
    fx.write({ "blocker": "a file where a folder should be\n" });
    await refused(fx, ["synth", "--config", "fleet.json", "--out", "blocker/dist"], /--out blocker\/dist: cannot be used \(a path component is a file\); allowed: a folder aft-fleet may create and write/);
  });

  it("writes into a new folder, creating it, and leaves nothing beside it", async () => {
    const before = fs.readdirSync(fx.dir).sort();
    const cwd = process.cwd();
    process.chdir(fx.dir);
    try {
      expect(await main(["synth", "--config", "fleet.json", "--out", "dist"])).toBe(0);
    } finally {
      process.chdir(cwd);
    }
    expect(fs.readdirSync(fx.dir).sort()).toEqual([...before, "dist"].sort());
    expect(fs.readdirSync(path.join(fx.dir, "dist")).sort()).toEqual([".aft-fleet-output", "README.md", "aft-account-customizations", "aft-global-customizations"]);
  });
});

describe("the command line: no silent guesses", () => {
  let fx: Fixture;
  beforeEach(() => (fx = makeFixture()));
  afterEach(() => fx.cleanup());

  it("refuses --config given twice", async () => {
    await refused(fx, ["synth", "--config", "fleet.json", "--config", "other.json", "--out", "dist"], /--config is given more than once/, 2);
  });

  it("refuses a stray positional argument instead of synthesizing the bundled example", async () => {
    await refused(fx, ["synth", "fleet.json", "--out", "dist"], /unexpected argument "fleet\.json" \(did you mean --config fleet\.json\?\)/, 2);
    await refused(fx, ["fleet.json"], /unknown command "fleet\.json" \(did you mean --config fleet\.json\?\)/, 2);
  });

  it("refuses an empty --config", async () => {
    await refused(fx, ["synth", "--config", "", "--out", "dist"], /--config: got an empty path/);
  });
});

describe("config text reaches Terraform as literal data", () => {
  const alphabet = ['"', "\\", "${", "%{", "$${", "%%{", "}", "{", "\n", "\t", "é", "漢", "🙂", "$", "%", "a", " ", "'", "`", "\u2028"];
  /** Deterministic pseudo-random strings (a fixed LCG: the test is reproducible). */
  function randomStrings(count: number): string[] {
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    return Array.from({ length: count }, () => Array.from({ length: 1 + (next() % 12) }, () => alphabet[next() % alphabet.length]).join(""));
  }
  const literalOf = (text: string) => {
    const parts = readTemplate(text);
    expect(parts.every((p) => "literal" in p)).toBe(true);
    return parts.map((p) => ("literal" in p ? p.literal : "")).join("");
  };

  it("tfLiteral round-trips every string through Terraform's template reading", () => {
    for (const text of [...randomStrings(500), "${path.cwd}", "%{ if true }x%{ endif }", "$${", "$$${x}", "a$", "%%{"]) {
      expect(literalOf(tfLiteral(text))).toBe(text);
      expect(JSON.parse(literalOf(tfJsonLiteral({ text })))).toEqual({ text });
    }
  });

  it("keeps hostile publisher, additional arguments and tag values literal in every emitted tree", async () => {
    const hostile = randomStrings(40).map((s, i) => `${s}|${i}`);
    const fx = makeFixture();
    try {
      const config = baseConfig();
      config.packages[0].publisher = 'Evil "Corp" ${path.cwd} %{ if true }x%{ endif } \\ end';
      // Argument values may hold any text but "{{"/"}}" outside a {{ssm:...}} reference (refused elsewhere).
      const unbraced = (v: string) => v.replace(/\{(?=\{)/g, "{ ").replace(/\}(?=\})/g, "} ");
      config.packages[0].additionalArguments = Object.fromEntries(hostile.slice(0, 10).map((v, i) => [`SSM_ARG_${i}`, unbraced(v)]));
      config.packages[0].additionalArguments.SSM_PATHLIKE = "${path.cwd}";
      // Tag keys become SSM Target.Key tag:<key> (model ssm/2014-11-06, shape TargetKey: no `$`, `{`, `}`); values are free text.
      config.organization.targetGroups.all.instanceTags = { "team:x": hostile.slice(10, 20).map((v) => v.replace(/\n/g, " ").slice(0, 200)).filter((v) => v.trim() !== "") };
      fs.writeFileSync(fx.configFile, JSON.stringify(config));
      const out = path.join(fx.dir, "out");
      expect(await main(["synth", "--config", fx.configFile, "--out", out])).toBe(0);
      const trees = ["aft-account-customizations/aft-fleet-central", "aft-global-customizations"].map((t) => fs.readFileSync(path.join(out, t, "terraform", "aft-fleet.tf.json"), "utf8"));
      const allLiterals: string[] = [];
      for (const tree of trees) {
        // Every interpolation in the emitted JSON is ours (references to resources, data and locals), never config text.
        const strings: string[] = [];
        JSON.parse(tree, (_k, v) => (typeof v === "string" && strings.push(v), v));
        for (const s of strings) {
          for (const part of readTemplate(s)) {
            if ("expression" in part) expect(part.expression).toMatch(/^\$\{(data|local|aws_[a-z0-9_]+|archive_[a-z_]+|var)\.[A-Za-z0-9_.[\]"*-]+\}$/);
          }
        }
        allLiterals.push(...strings.map((s) => readTemplate(s).map((p) => ("literal" in p ? p.literal : "\u0000")).join("")));
      }
      // The central tree carries the manifest (publisher) and the ring specs (arguments, tag values), literally.
      expect(allLiterals.some((l) => l.includes('"publisher":"Evil \\"Corp\\" ${path.cwd} %{ if true }x%{ endif } \\\\ end"'))).toBe(true);
      for (const value of [...hostile.slice(0, 10).map((v) => v.replace(/\{(?=\{)/g, "{ ").replace(/\}(?=\})/g, "} ")), "${path.cwd}", ...config.organization.targetGroups.all.instanceTags["team:x"]]) {
        expect({ value, found: allLiterals.some((l) => l.includes(JSON.stringify(value).slice(1, -1))) }).toEqual({ value, found: true });
      }
    } finally {
      fx.cleanup();
    }
  });
});

describe("package files: regular files inside their folder only", () => {
  it("refuses a symbolic link pointing outside the package, naming the field path", async () => {
    const fx = makeFixture();
    const secret = path.join(os.tmpdir(), `aft-fleet-secret-${process.pid}`);
    try {
      fs.writeFileSync(secret, "id_rsa\n");
      fs.symlinkSync(secret, path.join(fx.dir, "pkg/1.0.0/linux/stolen.txt"));
      await refused(fx, ["synth", "--config", "fleet.json", "--out", "dist"], /fleet\.json: packages\[0\]\.platforms\[0\]\.folder: got "linux" with stolen\.txt \(symbolic link\); allowed: only regular files/);
    } finally {
      fs.rmSync(secret, { force: true });
      fx.cleanup();
    }
  });

  it("refuses a dangling symbolic link without crashing", async () => {
    const fx = makeFixture();
    try {
      fs.symlinkSync("/nonexistent/aft-fleet", path.join(fx.dir, "pkg/1.0.0/windows/missing.ps1"));
      await refused(fx, ["synth", "--config", "fleet.json", "--out", "dist"], /packages\[0\]\.platforms\[1\]\.folder: got "windows" with missing\.ps1 \(symbolic link\)/);
    } finally {
      fx.cleanup();
    }
  });

  it("refuses a linked platform folder and a linked version folder", async () => {
    const fx = makeFixture();
    try {
      fs.renameSync(path.join(fx.dir, "pkg/1.0.0/linux"), path.join(fx.dir, "elsewhere"));
      fs.symlinkSync(path.join(fx.dir, "elsewhere"), path.join(fx.dir, "pkg/1.0.0/linux"));
      await refused(fx, ["synth", "--config", "fleet.json", "--out", "dist"], /packages\[0\]\.platforms\[0\]\.folder: got "linux", a symbolic link; allowed: a real folder/);
    } finally {
      fx.cleanup();
    }
  });

  it("refuses `..` as a version or folder name", async () => {
    for (const [mutate, where] of [
      [(c: any) => (c.packages[0].release = ".."), /packages\[0\]\.release: got "\.\."/],
      [(c: any) => (c.packages[0].platforms[0].folder = ".."), /packages\[0\]\.platforms\[0\]\.folder: got "\.\."/],
    ] as const) {
      const config = baseConfig();
      mutate(config);
      const fx = makeFixture(config);
      try {
        await refused(fx, ["synth", "--config", "fleet.json", "--out", "dist"], where);
      } finally {
        fx.cleanup();
      }
    }
  });

  it("refuses an empty install script", async () => {
    const fx = makeFixture(baseConfig(), { ...basePackageFiles(), "pkg/1.0.0/linux/install.sh": "  \n" });
    try {
      await refused(fx, ["synth", "--config", "fleet.json", "--out", "dist"], /packages\[0\]\.platforms\[0\]\.folder: got "linux" with an empty install\.sh/);
    } finally {
      fx.cleanup();
    }
  });
});

describe("parsers: no crash on hostile structure", () => {
  const cases: Array<{ name: string; text: string; file: string; message: RegExp }> = [
    {
      name: "a YAML alias bomb",
      file: "fleet.yaml",
      text: `a: &a ["x","x","x","x","x","x","x","x","x"]\n${Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(",")}]`).join("\n")}\n`,
      message: /fleet\.yaml: \(root\): got YAML aliases that expand beyond the alias limit; allowed: at most 100 alias expansions/,
    },
    { name: "JSON nested 100,000 levels", file: "fleet.json", text: `${"[".repeat(100000)}${"]".repeat(100000)}`, message: /fleet\.json: \(root\): got JSON nested 100000 levels deep; allowed: at most 64 levels/ },
    { name: "YAML nested 5,000 levels", file: "fleet.yaml", text: `a: ${"[".repeat(5000)}${"]".repeat(5000)}\n`, message: /fleet\.yaml: \(root\): got .*(nested|not YAML)/ },
    { name: "a NUL byte", file: "fleet.json", text: '{"organization": "\u0000"}', message: /fleet\.json: \(root\): got a NUL byte at line 1, column 19; allowed: text without NUL bytes/ },
    { name: "a NUL from a JSON escape", file: "fleet.json", text: '{"organization": {"id": "o-\\u0000"}}', message: /fleet\.json: organization\.id: got "o-\\u0000"; allowed: text without NUL characters/ },
    { name: "duplicate JSON keys", file: "fleet.json", text: '{"organization": {}, "organization": {}}', message: /fleet\.json: organization: got the key "organization" a second time at line 1, column 22; allowed: each key once per object/ },
    { name: "a __proto__ key", file: "fleet.json", text: '{"packages": [{"additionalArguments": {"__proto__": "x"}}]}', message: /fleet\.json: packages\[0\]\.additionalArguments\.__proto__: got the key "__proto__"/ },
    { name: "a YAML .nan", file: "fleet.yaml", text: "packageStore:\n  noncurrentVersionDays: .nan\n", message: /fleet\.yaml: packageStore\.noncurrentVersionDays: got NaN; allowed: a finite number/ },
  ];

  it.each(cases)("refuses $name", async ({ text, file, message }) => {
    const fx = makeFixture(text, basePackageFiles(), file);
    try {
      await refused(fx, ["synth", "--config", file, "--out", "dist"], message);
    } finally {
      fx.cleanup();
    }
  });

  it("refuses invalid UTF-8 instead of replacing it", async () => {
    const fx = makeFixture("", basePackageFiles(), "fleet.yaml");
    try {
      fs.writeFileSync(fx.configFile, Buffer.from([0x6f, 0x3a, 0x20, 0xff, 0xfe, 0x0a]));
      await refused(fx, ["synth", "--config", "fleet.yaml", "--out", "dist"], /fleet\.yaml: \(root\): got bytes that are not valid UTF-8; allowed: a UTF-8 text file/);
    } finally {
      fx.cleanup();
    }
  });

  it("looks target groups up by own name only (constructor, toString)", async () => {
    for (const name of ["constructor", "tostring", "valueof"]) {
      const config = baseConfig();
      config.packages[0].rings[0].targets = name;
      const fx = makeFixture(config);
      try {
        await refused(fx, ["synth", "--config", "fleet.json", "--out", "dist"], new RegExp(`packages\\[0\\]\\.rings\\[0\\]\\.targets: got "${name}"; allowed: a target group: all, canary`));
      } finally {
        fx.cleanup();
      }
    }
    const config = baseConfig();
    config.organization.targetGroups.constructor = config.organization.targetGroups.all;
    config.packages[0].rings[0].targets = "constructor";
    const fx = makeFixture(config);
    const cwd = process.cwd();
    try {
      process.chdir(fx.dir);
      expect(await main(["synth", "--config", "fleet.json", "--out", "dist"])).toBe(0);
    } finally {
      process.chdir(cwd);
      fx.cleanup();
    }
  });
});

describe("accepted by the parser but invalid in AWS", () => {
  const cases: Array<{ name: string; mutate: (c: any) => void; message: RegExp }> = [
    { name: "a GovCloud Region next to commercial ones", mutate: (c) => c.organization.workloadRegions.push("us-gov-west-1"), message: /organization\.workloadRegions\[2\]: got "us-gov-west-1"; allowed: a Region of the home Region's partition \(aws\)/ },
    { name: "a China Region next to commercial ones", mutate: (c) => c.organization.workloadRegions.push("cn-north-1"), message: /organization\.workloadRegions\[2\]: got "cn-north-1"; allowed: a Region of the home Region's partition/ },
    { name: "the management account as the central account", mutate: (c) => (c.organization.centralAccount = c.organization.managementAccount), message: /organization\.centralAccount: got "111111111111"; allowed: a member account other than the management account/ },
    { name: "a bucket name shaped like an IP address", mutate: (c) => (c.packageStore = { bucketName: "192.168.5.4" }), message: /packageStore\.bucketName: got "192\.168\.5\.4"; allowed: a name not formatted as an IP address/ },
    { name: "a bucket name with a reserved suffix", mutate: (c) => (c.packageStore = { bucketName: "my-store-s3alias" }), message: /packageStore\.bucketName: got "my-store-s3alias"; allowed: a name not ending with the reserved suffix -s3alias/ },
    { name: "rate(0 days)", mutate: (c) => (c.packages[0].rings[0].schedule = "rate(0 days)"), message: /packages\[0\]\.rings\[0\]\.schedule: got "rate\(0 days\)"; allowed: .*a rate of at least 1/ },
    { name: "a rate below 30 minutes", mutate: (c) => (c.packages[0].rings[0].schedule = "rate(10 minutes)"), message: /at least 30 minutes for associations/ },
    { name: "a malformed cron hour", mutate: (c) => (c.packages[0].rings[0].schedule = "cron(0 25 ? * SUN *)"), message: /schedule: got "cron\(0 25 \? \* SUN \*\)".*hours "25" \(allowed 0-23\)/ },
    { name: "a cron with too few fields", mutate: (c) => (c.packages[0].rings[0].schedule = "cron(0 2 *)"), message: /3 cron fields/ },
    { name: "a record key that fails its pattern", mutate: (c) => (c.packages[0].additionalArguments = { "NOT VALID": "x" }), message: /packages\[0\]\.additionalArguments\.NOT VALID: got the key "NOT VALID"; allowed: an environment variable name/ },
  ];

  it.each(cases)("refuses $name", async ({ mutate, message }) => {
    const config = baseConfig();
    mutate(config);
    const fx = makeFixture(config);
    try {
      await refused(fx, ["synth", "--config", "fleet.json", "--out", "dist"], message);
    } finally {
      fx.cleanup();
    }
  });

  it("refuses a package folder over Distributor's 1 GB attachment size (sparse file, no disk used)", async () => {
    const fx = makeFixture();
    try {
      const big = path.join(fx.dir, "pkg/1.0.0/linux/installer.bin");
      fs.writeFileSync(big, "");
      fs.truncateSync(big, 1_000_000_001);
      await refused(fx, ["synth", "--config", "fleet.json", "--out", "dist"], /packages\[0\]\.platforms\[0\]\.folder: got "linux" with \d+ bytes; allowed: at most 1000000000 bytes/);
    } finally {
      fx.cleanup();
    }
  });
});

describe("config text never becomes Terraform template code: every free-text field, the whole of both trees", () => {
  /*
   * Terraform reads every string of a .tf.json file as a template: `${` opens an interpolation and `%{` a
   * directive; `$${` and `%%{` are their escapes (Terraform language, JSON configuration syntax, "Expression
   * mapping", and HCL native syntax specification, "Template Expressions"). CloudWatch alarm names
   * (PutMetricAlarm AlarmName: 1-255 characters, no character class), tag values, descriptions and the
   * package publisher and arguments may hold both introductions.
   */
  const { readConfigFile } = require("../modules/config/read");
  const { resolveConfig } = require("../modules/config");
  const example = path.join(__dirname, "..", "examples", "fleet.yaml");
  const packageSource = path.join(__dirname, "..", "packages", "example-agent");
  const marker = (i: number) => `\${hostile${i}} %{hostile${i}}`;

  /** The example with every optional section that carries config text: job rings with alarms, a baseline description, node tags. */
  function richConfig(): any {
    const c: any = structuredClone(readConfigFile(example, "fleet.yaml"));
    c.packages[0].source = "pkg";
    c.organization.targetGroups.canary.instanceTags = { "team-tag": ["canary nodes"] };
    c.patching.baselines["amazon-linux"].description = "Amazon Linux security patches";
    const jobRings = [
      { name: "first", targets: "canary", alarms: ["job-health"] },
      { name: "rest", targets: "all-workloads", bake: "2h", alarms: [] },
    ];
    c.patching.emergency = { campaign: "campaign-0001", operation: "Install", rebootOption: "RebootIfNeeded", rings: jobRings };
    c.patching.autoScaling = { campaign: "images-0001", instanceProfile: "ImageBuilder", automationRole: "ImageAutomation", healthyPercentage: 90, rings: structuredClone(jobRings) };
    return c;
  }

  /** Every string leaf and every record key of `value`, as [container, key-or-index, "value" | "key"]. */
  function slots(value: any): Array<{ at: string; get: () => string; set: (s: string) => void }> {
    const out: Array<{ at: string; get: () => string; set: (s: string) => void }> = [];
    const walk = (node: any, at: string) => {
      if (Array.isArray(node)) node.forEach((child, i) => (typeof child === "string" ? out.push({ at: `${at}[${i}]`, get: () => node[i], set: (s) => (node[i] = s) }) : walk(child, `${at}[${i}]`)));
      else if (node && typeof node === "object") {
        for (const key of Object.keys(node)) {
          const child = node[key];
          if (typeof child === "string") out.push({ at: `${at}.${key}`, get: () => node[key], set: (s) => (node[key] = s) });
          else walk(child, `${at}.${key}`);
        }
        for (const key of Object.keys(node)) {
          let current = key;
          out.push({
            at: `${at}{key ${key}}`,
            get: () => current,
            set: (s) => {
              const entries = Object.entries(node).map(([k, v]) => [k === current ? s : k, v] as const);
              for (const k of Object.keys(node)) delete node[k];
              for (const [k, v] of entries) node[k] = v;
              current = s;
            },
          });
        }
      }
    };
    walk(value, "");
    return out;
  }

  const valid = (config: unknown, dir: string) => {
    try {
      resolveConfig(config, dir, "fleet.json");
      return true;
    } catch {
      return false;
    }
  };

  /** Terraform functions aft-fleet's trees may call (Terraform language, "Built-in Functions"). */
  const FUNCTIONS = new Set(["sha256", "substr", "jsonencode", "join", "format", "lower", "element", "lookup", "tostring", "filebase64sha256", "base64sha256"]);

  /** Problems of one template expression: anything but references to addresses the tree declares, those functions and literals. */
  function expressionProblems(expression: string, known: Set<string>): string[] {
    if (expression.startsWith("%{")) return [`a directive ${expression}`];
    let inner = expression.slice(2, -1);
    const problems: string[] = [];
    // Quoted strings inside an expression are templates again.
    inner = inner.replace(/"((?:[^"\\]|\\.)*)"/g, (_m, body: string) => {
      for (const part of readTemplate(JSON.parse(`"${body}"`))) if ("expression" in part) problems.push(...expressionProblems(part.expression, known));
      return " 0 ";
    });
    inner = inner.replace(/([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_*][A-Za-z0-9_-]*|\[(?:\d+|\*)\])*)(\s*\()?/g, (_m, traversal: string, call?: string) => {
      if (call) {
        if (!FUNCTIONS.has(traversal)) problems.push(`the function ${traversal} in ${expression}`);
        return " ( ";
      }
      const steps = traversal.split(".");
      const root = steps[0] === "data" ? steps.slice(0, 3).join(".") : steps.slice(0, 2).join(".");
      if (!known.has(root)) problems.push(`${root} (not an address of this tree) in ${expression}`);
      return " ";
    });
    if (/[^\s\d(),[\]]/.test(inner)) problems.push(`other syntax (${inner.trim()}) in ${expression}`);
    return problems;
  }

  /** The addresses a tree declares: resource.T.N, data.T.N, var.N, local.N. */
  function addresses(tree: any): Set<string> {
    const known = new Set<string>();
    for (const [type, byName] of Object.entries<any>(tree.resource ?? {})) for (const name of Object.keys(byName)) known.add(`${type}.${name}`);
    for (const [type, byName] of Object.entries<any>(tree.data ?? {})) for (const name of Object.keys(byName)) known.add(`data.${type}.${name}`);
    for (const name of Object.keys(tree.variable ?? {})) known.add(`var.${name}`);
    for (const name of Object.keys(tree.locals ?? {})) known.add(`local.${name}`);
    return known;
  }

  it("accepts ${...} and %{...} wherever the schema allows them and emits them only as escaped, literal text", async () => {
    const fx = makeFixture();
    try {
      fs.rmSync(path.join(fx.dir, "pkg"), { recursive: true, force: true });
      fs.cpSync(packageSource, path.join(fx.dir, "pkg"), { recursive: true });
      const config = richConfig();
      expect(valid(config, fx.dir)).toBe(true);
      // Each slot in turn: keep the hostile text where the config schema and rules accept it.
      const hostile = new Map<string, string>();
      slots(config).forEach((slot, i) => {
        const before = slot.get();
        for (const candidate of [`${before} ${marker(i)}`, marker(i)]) {
          slot.set(candidate);
          if (valid(config, fx.dir)) {
            hostile.set(slot.at, candidate);
            return;
          }
        }
        slot.set(before);
      });
      // The fields the brief of this test names are among those accepted (a schema change would show here).
      const accepted = [...hostile.keys()];
      for (const field of [
        ".packages[0].publisher",
        ".packages[0].description",
        ".packages[0].additionalArguments.SSM_LOG_LEVEL",
        ".packages[0].rings[0].alarms[0]",
        ".organization.targetGroups.canary.instanceTags.team-tag[0]",
        ".patching.baselines.amazon-linux.description",
        ".patching.emergency.rings[0].alarms[0]",
        ".patching.autoScaling.rings[0].alarms[0]",
      ]) {
        expect({ field, accepted: accepted.includes(field) }).toEqual({ field, accepted: true });
      }
      // Target group, ring, package and version names are restricted patterns: no `$`, `%` or braces. So are
      // node tag keys: they become SSM Target.Key tag:<key> (model ssm/2014-11-06, shape TargetKey).
      for (const refused of [".packages[0].name", ".packages[0].rings[0].name", ".organization.targetGroups{key canary}", ".organization.targetGroups.canary.instanceTags{key team-tag}"]) {
        expect(accepted).not.toContain(refused);
      }
      fs.writeFileSync(fx.configFile, JSON.stringify(config));
      const out = path.join(fx.dir, "out");
      expect(await main(["synth", "--config", fx.configFile, "--out", out])).toBe(0);

      const literals: string[] = [];
      const problems: string[] = [];
      let expressions = 0;
      for (const tree of ["aft-account-customizations/fleet-central", "aft-global-customizations"]) {
        const text = fs.readFileSync(path.join(out, tree, "terraform", "aft-fleet.tf.json"), "utf8");
        const json = JSON.parse(text);
        const known = addresses(json);
        // The whole document: keys too (tags maps are keyed by config text).
        const strings: string[] = [];
        JSON.parse(text, function (key, v) {
          if (key !== "") strings.push(key);
          if (typeof v === "string") strings.push(v);
          return v;
        });
        for (const s of strings) {
          for (const part of readTemplate(s)) {
            if ("literal" in part) continue;
            expressions++;
            if (/hostile\d/.test(part.expression)) problems.push(`${tree}: config text as code: ${part.expression}`);
            problems.push(...expressionProblems(part.expression, known).map((p) => `${tree}: ${p}`));
          }
          literals.push(readTemplate(s).map((p) => ("literal" in p ? p.literal : "\u0000")).join(""));
        }
      }
      expect(problems).toEqual([]);
      expect(expressions).toBeGreaterThan(0);
      // The hostile text arrived, as text, for the alarms (ring specs and the controller's IAM policy) and the rest.
      const arrived = (at: string) => {
        const i = slots(richConfig()).findIndex((s) => s.at === at);
        return literals.filter((l) => l.includes(`hostile${i}}`)).length;
      };
      // (The package description reaches no tree today: the walk above covers it should it ever do.)
      for (const field of [".packages[0].publisher", ".packages[0].additionalArguments.SSM_LOG_LEVEL", ".organization.targetGroups.canary.instanceTags.team-tag[0]", ".patching.baselines.amazon-linux.description"]) {
        expect({ field, arrived: arrived(field) > 0 }).toEqual({ field, arrived: true });
      }
      for (const field of [".packages[0].rings[0].alarms[0]", ".patching.emergency.rings[0].alarms[0]", ".patching.autoScaling.rings[0].alarms[0]"]) {
        // In its ring spec and in the ReadRingAlarms statement of the controller's policy.
        const i = slots(richConfig()).findIndex((s) => s.at === field);
        expect({ field, inSpec: literals.some((l) => l.includes(`"alarms":`) && l.includes(marker(i))) }).toEqual({ field, inSpec: true });
        expect({ field, inPolicy: literals.some((l) => l.includes("ReadRingAlarms") && l.includes(`\${$}{hostile${i}} %{hostile${i}}`)) }).toEqual({ field, inPolicy: true });
      }
    } finally {
      fx.cleanup();
    }
  }, 120_000);
});
