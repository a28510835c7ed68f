export { OrchestrationMemberRole } from "./member";
export type { OrchestrationMemberRoleProps } from "./member";
export { OrchestrationCentral } from "./central";
export type { OrchestrationCentralProps } from "./central";
export { orchestrationHandoff, ORCHESTRATION_HANDOFF_FILE } from "./handoff";
export {
  ORCHESTRATION_ROLE_NAME,
  ORCHESTRATION_NODE_POLICY_NAME,
  FILE_COPIER_KEY_ALIAS,
} from "./names";
