import { tfLiteral } from "./literal";

/** Tags on everything taggable, so a resource found in any account names its origin (values are literal data). */
export function fleetTags(extra: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries({ managed_by: "aft-fleet", ...extra }).map(([k, v]) => [tfLiteral(k), tfLiteral(v)]));
}

export { partitionOf } from "../../contract/partition";
