import { ASSOCIATION_NAME } from "../../../contract/patterns";
import { ringAssociationNameOf } from "../../../contract/names";
import { showValue } from "../errors";
import type { ConfigRule } from "./types";

/** Each ring's central association is `aft-fleet-rollout-<package>-<ring>`; CreateAssociation allows 3-128 characters. */
export const ringAssociationNamesFit: ConfigRule = (config) =>
  config.packages.flatMap((pkg, i) =>
    pkg.rings.flatMap((ring, k) => {
      const name = ringAssociationNameOf(pkg.name, ring.name);
      return ASSOCIATION_NAME.test(name)
        ? []
        : [{ path: `packages[${i}].rings[${k}].name`, value: `${showValue(ring.name)} (association ${name.length} characters)`, allowed: "a ring and package name whose association aft-fleet-rollout-<package>-<ring> has at most 128 characters" }];
    }),
  );

