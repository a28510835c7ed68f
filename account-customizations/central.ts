import { Construct } from "constructs";
import type { FleetModel } from "../modules/config/model";
import { PackageArtifacts, PackageUpload } from "../modules/distributor-package";
import { FleetStack, FleetStackProps } from "../modules/core/fleet-stack";
import { INVENTORY_SYNC_SCHEDULE, RingRollout, RolloutController, asgImageRingSpecOf, emergencyRingSpecOf, inventorySyncSpecOf, ringSpecOf } from "../modules/controller";
import { RolloutDashboard, dashboardRingsOf } from "../modules/controller/dashboard";
import { RingNotifications } from "../modules/controller/notifications";
import { PackageStore } from "../modules/package-store";
import { OrchestrationCentral } from "../modules/orchestration";
import { PatchingReporting } from "../modules/patching";

export interface CentralStackOptions {
  /** Folder with the Lambda bundles (`<dir>/controller/index.js`), from `lambdaBundles()`. */
  readonly lambdaBundleDir: string;
}

/**
 * The central (delegated admin) account's customization: the package store with every published
 * package version, the rollout controller, and per package ring its spec and the association that runs it.
 * Nothing here is needed by any account's global stage at apply time (the lifecycle-order test checks it).
 */
export class CentralStack extends FleetStack {
  readonly store: PackageStore;
  readonly controller: RolloutController;

  constructor(scope: Construct, id: string, model: FleetModel, stackProps: FleetStackProps, options: CentralStackOptions) {
    super(scope, id, stackProps);
    const org = model.organization;
    this.store = new PackageStore(this, "PackageStore", {
      bucketName: model.store.bucketName,
      organizationId: org.id,
      accountId: org.centralAccount,
      region: org.homeRegion,
      noncurrentVersionDays: model.store.noncurrentVersionDays,
      encryption: model.store.encryption,
      rolloutRetentionDays: model.store.rolloutRetentionDays,
      ...(model.store.accessLogBucket ? { accessLogBucket: model.store.accessLogBucket } : {}),
    });
    this.controller = new RolloutController(this, "RolloutController", {
      organizationId: org.id,
      managementAccountId: org.managementAccount,
      accountId: org.centralAccount,
      region: org.homeRegion,
      store: this.store,
      alarmNames: [...model.packages.flatMap((p) => p.rings.flatMap((r) => r.alarms)), ...(model.patching?.emergency?.rings.flatMap((r) => r.alarms) ?? []), ...(model.patching?.autoScaling?.rings.flatMap((r) => r.alarms) ?? [])],
      bundleDir: options.lambdaBundleDir,
    });
    for (const pkg of model.packages) {
      const pkgScope = new Construct(this, pkg.name);
      for (const version of pkg.versions) {
        const versionScope = new Construct(pkgScope, version.version);
        const artifacts = new PackageArtifacts(versionScope, "Artifacts", { pkg, version });
        new PackageUpload(versionScope, "Upload", { artifacts, store: this.store, pkg, version });
      }
      pkg.rings.forEach((ring, index) => {
        new RingRollout(pkgScope, `Ring-${ring.name}`, { spec: ringSpecOf(model, pkg, index), store: this.store, controller: this.controller, schedule: pkg.controllerSchedule });
      });
    }
    new RingNotifications(this, "RingNotifications", {
      accountId: org.centralAccount,
      region: org.homeRegion,
      ...(model.notifications?.topicArn !== undefined ? { notifyTopicArn: model.notifications.topicArn } : {}),
      ...(model.notifications?.busArn !== undefined ? { notifyBusArn: model.notifications.busArn } : {}),
    });
    new RolloutDashboard(this, "RolloutDashboard", { region: org.homeRegion, rings: dashboardRingsOf(model) });
    if (model.orchestration?.fileCopierBucket) {
      new OrchestrationCentral(this, "Orchestration", {
        bucketName: model.orchestration.fileCopierBucket,
        writerPrincipals: model.orchestration.principals,
        organizationId: org.id,
        accountId: org.centralAccount,
        region: org.homeRegion,
        ...(model.store.accessLogBucket ? { accessLogBucket: model.store.accessLogBucket } : {}),
      });
    }
    if (model.patching) {
      const reports = new PatchingReporting(this, "PatchingReports", {
        reports: model.patching.reports,
        organizationId: org.id,
        accountId: org.centralAccount,
        region: org.homeRegion,
        syncRegions: org.workloadRegions,
        ...(model.store.accessLogBucket ? { accessLogBucket: model.store.accessLogBucket } : {}),
      });
      // The controller's own jobs: each member's resource data sync to the reports
      // bucket (never made by the member tree: AFT may apply it before this bucket exists), and the
      // emergency patch rings when a campaign is configured.
      const jobs = new Construct(this, "ControllerJobs");
      new RingRollout(jobs, "InventorySync", {
        spec: inventorySyncSpecOf(model, reports.keyArn),
        store: this.store,
        controller: this.controller,
        schedule: INVENTORY_SYNC_SCHEDULE,
        after: reports.ready,
      });
      const emergency = model.patching.emergency;
      emergency?.rings.forEach((ring, index) => {
        new RingRollout(jobs, `Emergency-${ring.name}`, { spec: emergencyRingSpecOf(model, index), store: this.store, controller: this.controller, schedule: emergency.controllerSchedule });
      });
      const autoScaling = model.patching.autoScaling;
      autoScaling?.rings.forEach((ring, index) => {
        new RingRollout(jobs, `AsgImage-${ring.name}`, { spec: asgImageRingSpecOf(model, index), store: this.store, controller: this.controller, schedule: autoScaling.controllerSchedule });
      });
    }
  }
}
