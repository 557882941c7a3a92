// Migration progress as the dashboard shows it.
import type { VMMigration } from "../api/generated.ts";

export const MIGRATION_PHASES = ["Pending", "Validating", "Exporting", "Precopying", "CuttingOver", "Transferring", "Converting", "Importing", "Creating", "Succeeded", "Failed"] as const;

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

export interface PhaseSpan {
  phase: string;
  enteredAt: string;
  /** Until the next phase was entered, or until `now` for the current phase; undefined for a terminal phase. */
  seconds?: number;
}

/** The phase timeline with how long each phase lasted (the last one until `now` unless it is terminal). */
export function phaseSpans(history: ReadonlyArray<{ phase: string; enteredAt: string }>, now: number): PhaseSpan[] {
  return history.map((h, i) => {
    const start = Date.parse(h.enteredAt);
    const next = history[i + 1];
    const terminal = h.phase === "Succeeded" || h.phase === "Failed";
    const end = next ? Date.parse(next.enteredAt) : terminal ? undefined : now;
    return { phase: h.phase, enteredAt: h.enteredAt, seconds: end === undefined || Number.isNaN(start) || Number.isNaN(end) ? undefined : Math.max(0, (end - start) / 1000) };
  });
}

export const formatSeconds = (s: number | undefined): string =>
  s === undefined ? "" : s < 60 ? `${s.toFixed(s < 10 ? 1 : 0)} s` : s < 3600 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;

/** Whether a migration can still be cancelled (deleting a finished one cancels nothing). */
export const isFinished = (m: VMMigration): boolean => m.status?.phase === "Succeeded" || m.status?.phase === "Failed";
