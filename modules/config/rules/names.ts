import { ASSOCIATION_NAME, DOCUMENT_NAME } from "../../../contract/patterns";
import { packageDocumentNameOf, ringAssociationNameOf } from "../../../contract/names";
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

/**
 * Each package's member Package document is `aft-fleet-<package>` (packageDocumentNameOf); CreateDocument Name
 * allows 3-128 of [a-zA-Z0-9_.-] (SSM API Reference, CreateDocument, Name). The schema's 100-character cap on
 * package names keeps every accepted name within it; this rule keeps the two tied if either changes.
 */
export const packageDocumentNamesFit: ConfigRule = (config) =>
  config.packages.flatMap((pkg, i) => {
    const name = packageDocumentNameOf(pkg.name);
    return DOCUMENT_NAME.test(name)
      ? []
      : [{ path: `packages[${i}].name`, value: `${showValue(pkg.name)} (document ${name.length} characters)`, allowed: "a package name whose member document aft-fleet-<package> has at most 128 characters" }];
  });
