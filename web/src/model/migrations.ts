// Migration progress as the dashboard shows it.
import type { VMMigration } from "../api/generated.ts";

export const MIGRATION_PHASES = ["Pending", "Validating", "Exporting", "Transferring", "Converting", "Importing", "Creating", "Succeeded", "Failed"] as const;

/** Percent done, 0–100: status.progress.percent when the controller wrote it, else bytesDone/bytesTotal. */
export function progressPercent(m: VMMigration): number {
  const p = m.status?.progress;
  if (m.status?.phase === "Succeeded") return 100;
  if (!p) return 0;
  if (typeof p.percent === "number" && Number.isFinite(p.percent)) return clampPercent(p.percent);
  return p.bytesTotal > 0 ? clampPercent((p.bytesDone / p.bytesTotal) * 100) : 0;
}

const clampPercent = (n: number): number => Math.min(100, Math.max(0, Math.round(n)));

export type ProgressVariant = "success" | "danger" | undefined;
export const progressVariant = (m: VMMigration): ProgressVariant =>
  m.status?.phase === "Succeeded" ? "success" : m.status?.phase === "Failed" ? "danger" : undefined;

export const sourceVMOf = (m: VMMigration): string => m.spec.source.vmName ?? m.spec.source.vmID ?? "—";

export function etaText(m: VMMigration): string | undefined {
  const eta = m.status?.progress?.etaSeconds;
  if (eta === undefined || m.status?.phase === "Succeeded" || m.status?.phase === "Failed") return undefined;
  return eta >= 60 ? `${Math.round(eta / 60)} min left` : `${Math.round(eta)} s left`;
}
