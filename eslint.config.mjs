// Lint for mistakes, not style (formatting is left as it is): ESLint's and typescript-eslint's recommended
// rules, without type information so the run stays fast.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", "lib/**", ".work/**", "cdktf.out/**", "**/*.d.ts", "__tests__/fixtures/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", __dirname: "readonly", __filename: "readonly", require: "readonly", module: "writable", Buffer: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setImmediate: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
    },
  },
  // Tests read emitted Terraform JSON, whose shape they assert rather than declare.
  { files: ["__tests__/**"], rules: { "@typescript-eslint/no-explicit-any": "off" } },
  // CommonJS scripts (jest transform, bench helpers) require by design; the CLI, main.ts, the build scripts and
  // the bundler load modules lazily (a command loads only what it runs, and the installed package never needs
  // esbuild); tests require fixtures and modules fresh.
  { files: ["**/*.js", "cli/**", "main.ts", "scripts/**", "modules/controller/bundling.ts", "__tests__/**"], rules: { "@typescript-eslint/no-require-imports": "off" } },
  // The rollout simulation's SDK-shaped fakes take any command.
  { files: ["scripts/bench-rollout/**"], rules: { "@typescript-eslint/no-explicit-any": "off" } },
);
