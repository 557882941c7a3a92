// Warm migration as the dashboard offers it: which sources can precopy, when a cutover can still be set, and the
// patch that sets it (the same spec.cutover `landfall cutover vmm/NAME [--at TIME]` writes).
import type { VMMigration } from "../api/generated.ts";
import { isFinished } from "./migrations.ts";

/** Warm needs changed-block tracking at the source: vSphere has it (landfall turns it on for the migration). */
export const supportsWarm = (sourceProviderType: string): boolean => sourceProviderType === "vsphere";

export const isWarm = (m: VMMigration): boolean => m.spec.options?.mode === "warm";

/** A cutover can be set or moved while precopies run: not once it started, nor after the migration ended. */
export const canCutOver = (m: VMMigration): boolean => isWarm(m) && !isFinished(m) && m.status?.cutover === undefined && !m.metadata.deletionTimestamp;

/** The merge patch that cuts over at `at` (RFC 3339 in UTC, whole seconds). */
export const cutoverPatch = (at: Date) => ({ spec: { cutover: at.toISOString().replace(/\.\d+Z$/, "Z") } });
