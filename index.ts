/*
 * The package entry (`import { PackageStore, RolloutController, ... } from "aft-fleet"`): the constructs
 * and typed props a team composing its own cdktf app needs, the config loader that turns a fleet config
 * into the model the constructs take, and the stacks and synth that `aft-fleet synth` runs.
 *
 * Nothing here loads esbuild: the controller's Lambda bundles ship prebuilt with the package
 * (`controllerBundleDir()`), for RolloutController's `bundleDir`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PREBUILT_LAMBDA_BUNDLES } from "./main";

// The fleet config: load and validate a YAML or JSON file into the model every construct reads.
export { loadConfig, resolveConfig, DEFAULT_CONFIG, ConfigError, FleetConfigSchema } from "./modules/config";
export type { ConfigIssue } from "./modules/config/errors";
export type { FleetConfig } from "./modules/config";
export type { FleetModel, FleetPackage, PackageVersion, TargetGroup } from "./modules/config/model";
export { fleetJsonSchemaText } from "./modules/config/json-schema";

// Stacks and synth: what `aft-fleet synth` builds, for an app that adds its own stacks beside them.
export { buildStacks, synthToDir, CENTRAL_STACK, GLOBAL_STACK, GLOBAL_TREE } from "./main";
export { CentralStack } from "./account-customizations/central";
export { GlobalStack } from "./global-customizations/global";
export { FleetStack, toSnake } from "./modules/core/fleet-stack";
export type { FleetStackProps, DirectBackendProps } from "./modules/core/fleet-stack";
export { fleetTags, partitionOf } from "./modules/core/tags";

// The package store and Distributor packages (central account).
export { PackageStore, storeKeyAliasOf } from "./modules/package-store";
export type { PackageStoreProps } from "./modules/package-store";
export { PackageArtifacts, PackageUpload } from "./modules/distributor-package";
export type { PackageArtifactsProps, PackageUploadProps } from "./modules/distributor-package";

// The rollout controller and its rings (central account).
export { RolloutController, LAMBDA_RUNTIME, LOG_RETENTION_DAYS, CONTROLLER_TIMEOUT_SECONDS } from "./modules/controller/controller";
export type { RolloutControllerProps } from "./modules/controller/controller";
export { RingRollout } from "./modules/controller/ring";
export type { RingRolloutProps } from "./modules/controller/ring";
export { ringSpecOf, emergencyRingSpecOf, asgImageRingSpecOf, inventorySyncSpecOf, INVENTORY_SYNC_SCHEDULE } from "./modules/controller/spec";
export { RolloutDashboard, dashboardRingsOf, DASHBOARD_NAME } from "./modules/controller/dashboard";
export type { RolloutDashboardProps, DashboardRing } from "./modules/controller/dashboard";
export { RingNotifications, RING_EVENTS_RULE_NAME } from "./modules/controller/notifications";
export type { RingNotificationsProps } from "./modules/controller/notifications";

// Every account (the member tree).
export { ExecutionRole } from "./modules/execution-role";
export type { ExecutionRoleProps } from "./modules/execution-role";
export { PackageParameterPolicy } from "./modules/package-parameters";
export type { PackageParameterPolicyProps } from "./modules/package-parameters";

// Patching and orchestration.
export { PatchingMember, PatchingReporting } from "./modules/patching";
export type { PatchingMemberProps, PatchingReportingProps } from "./modules/patching";
export { OrchestrationMemberRole, OrchestrationCentral, orchestrationHandoff } from "./modules/orchestration";
export type { OrchestrationMemberRoleProps, OrchestrationCentralProps } from "./modules/orchestration";

/**
 * The folder holding the controller's Lambda bundles (`<dir>/controller/index.js`), RolloutController's
 * `bundleDir`: the bundles built with the installed package. Throws, naming the folder, when the package
 * was not built (running from the sources: use modules/controller/bundling.ts's lambdaBundles).
 */
export function controllerBundleDir(): string {
  if (!fs.existsSync(path.join(PREBUILT_LAMBDA_BUNDLES, "controller", "index.js"))) {
    throw new Error(`aft-fleet: no prebuilt Lambda bundles in ${PREBUILT_LAMBDA_BUNDLES}; allowed: the installed package (npm run build writes them)`);
  }
  return PREBUILT_LAMBDA_BUNDLES;
}
