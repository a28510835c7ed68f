import { showValue } from "../errors";
import type { ConfigRule } from "./types";

/**
 * The central account is a delegated administrator; AWS Organizations refuses to register the
 * management account as a delegated administrator of its own organization (RegisterDelegatedAdministrator:
 * ConstraintViolationException CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR).
 */
export const centralIsNotManagement: ConfigRule = (config) => {
  const org = config.organization;
  return org.centralAccount === org.managementAccount
    ? [{ path: "organization.centralAccount", value: showValue(org.centralAccount), allowed: "a member account other than the management account (the management account cannot be a delegated administrator)" }]
    : [];
};
