import { scheduleProblem } from "../../../contract/schedule";
import { showValue } from "../errors";
import type { ConfigRule } from "./types";

/** Every schedule reaches a State Manager association, which refuses what its expression syntax does not allow. */
export const schedulesAreAccepted: ConfigRule = (config) =>
  config.packages.flatMap((pkg, i) =>
    pkg.rings.flatMap((ring, k) => {
      const problem = scheduleProblem(ring.schedule);
      return problem ? [{ path: `packages[${i}].rings[${k}].schedule`, value: showValue(ring.schedule), allowed: `a State Manager schedule such as rate(1 day) or cron(0 2 ? * SUN *) (${problem})` }] : [];
    }),
  );
