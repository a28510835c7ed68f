/** The job of each ring kind (types.ts): the run looks the job up here and never branches on the kind. */
import { ringKindOf, type AnyRingSpec } from "../../../contract";
import { asgImageJob } from "./asg-image";
import { emergencyPatchJob } from "./emergency-patch";
import { inventorySyncJob } from "./inventory-sync";
import { packageJob } from "./package";
import type { Job, JobRegistry } from "./types";

export * from "./types";

const JOBS: JobRegistry = {
  package: packageJob,
  "emergency-patch": emergencyPatchJob,
  "inventory-sync": inventorySyncJob,
  "asg-image": asgImageJob,
};

/** The job for a spec, typed for that spec. */
export function jobOf(spec: AnyRingSpec): Job<AnyRingSpec> {
  return JOBS[ringKindOf(spec)] as Job<AnyRingSpec>;
}
