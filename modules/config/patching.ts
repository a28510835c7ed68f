/*
 * The optional `patching` section, split by concern as the core config is: AWS's tables in
 * contract/aws-rules.ts, the schema (patching-schema.ts), the resolved model (patching-model.ts) and the
 * resolver (patching-resolve.ts). This module is their one import path.
 */
export { PATCH_FILTER_KEYS, PATCH_FILTER_VALUES, type PatchOperatingSystem } from "../../contract/aws-rules";
export * from "./patching-schema";
export * from "./patching-model";
export { resolvePatching } from "./patching-resolve";
