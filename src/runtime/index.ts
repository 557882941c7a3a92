// The controller runtime's public surface: what controllers and the composition root import.
export { type BackoffOptions, KeyBackoff } from "./backoff.ts";
export { type Clock, FakeClock, realClock } from "./clock.ts";
export { getCondition, isFalse, isTrue, removeCondition, setCondition, type ConditionUpdate } from "./conditions.ts";
export {
  Controller,
  type ControllerOptions,
  type KeyJob,
  type Reconcile,
  type ReconcileContext,
  type ReconcileResult,
  type WatchSpec,
} from "./controller.ts";
export { EventRecorder, type EventSink, type EventType, type RecordedEvent } from "./events.ts";
export { addFinalizer, hasFinalizer, isBeingDeleted, removeFinalizer } from "./finalizers.ts";
export { DEFAULT_RESYNC_MS, type IndexFunc, Informer, type InformerHandlers, type InformerOptions } from "./informer.ts";
export { type JobState, JobTracker, type JobWork } from "./jobs.ts";
export { keyOf, keyString, type ObjectKey, parseKey } from "./keys.ts";
export { AlwaysLeader, decideLease, type Lease, type LeaseClient, type LeaderElector, LeaseElector, type LeaseElectorOptions } from "./leader.ts";
export { createLogger, type LogFields, type Logger, type LogLevel, parseLogLevel, redact, silentLogger } from "./logger.ts";
export { enqueueByAnnotation, enqueueOwners, enqueueReferrers, type MapToKeys, type PrimaryIndex } from "./mappers.ts";
export { type ControllerMetrics, controllerMetrics } from "./metrics.ts";
export { controllerOf, isOwnedBy, ownerReferenceFor, removeOwnerReference, setOwnerReference } from "./owners.ts";
export { SharedInformers } from "./shared-informers.ts";
export { patchObject, patchStatus, retryOnConflict } from "./status.ts";
export { WorkQueue } from "./workqueue.ts";
