import { ADDITIONAL_ARGUMENTS_MAX, additionalArgumentsJson } from "../../../contract/patterns";
import type { ConfigRule } from "./types";

/**
 * AWS-ConfigureAWSPackage takes at most 4,096 characters of additionalArguments, keys and values
 * together (SSM document plugin reference, aws:configurePackage); the controller sends them as one JSON
 * string, so that string is what is measured.
 */
export const packageArgumentsFit: ConfigRule = (config) =>
  config.packages.flatMap((pkg, i) => {
    const length = additionalArgumentsJson(pkg.additionalArguments).length;
    return Object.keys(pkg.additionalArguments).length === 0 || length <= ADDITIONAL_ARGUMENTS_MAX
      ? []
      : [{ path: `packages[${i}].additionalArguments`, value: `${Object.keys(pkg.additionalArguments).length} arguments, ${length} characters as JSON`, allowed: `keys and values of at most ${ADDITIONAL_ARGUMENTS_MAX} characters in all (AWS-ConfigureAWSPackage's limit); move long values to Parameter Store and reference them` }];
  });
