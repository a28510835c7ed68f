/*
 * The optional `patching` section, split by concern as the core config is: AWS's tables in
 * contract/aws-rules.ts, the schema (patching-schema.ts), the resolved model (patching-model.ts) and the
 * resolver (patching-resolve.ts). This module is the one import path of the last three.
 */
export * from "./patching-schema";
export * from "./patching-model";
export { resolvePatching } from "./patching-resolve";
