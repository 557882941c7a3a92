// What a CDI DataVolume says about an import, pure: still importing, verified (CDI's importer checked the
// downloaded bytes against spec.source.http.checksum and the volume is complete), or failed (with CDI's reason).
export interface DataVolume {
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: {
    source?: { http?: { url?: string; checksum?: string } };
    storage?: { resources?: { requests?: { storage?: string } } };
    pvc?: { resources?: { requests?: { storage?: string } } };
  };
  status?: {
    phase?: string;
    progress?: string;
    restartCount?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

export type VolumeVerdict =
  | { state: "importing"; message: string }
  | { state: "verified"; sha256: string }
  | { state: "failed"; code: "ChecksumMismatch" | "ImportFailed" | "NotFound"; message: string };

const SHA256 = /^sha256:[0-9a-f]{64}$/;
/** Importer pod restarts after which a DataVolume that still reports an error is a failed import. */
export const MAX_IMPORTER_RESTARTS = 3;

export function volumeVerdict(dv: DataVolume | undefined, where: { namespace: string; name: string; checksumKey: string }): VolumeVerdict {
  const what = `DataVolume ${where.namespace}/${where.name}`;
  if (!dv) return { state: "failed", code: "NotFound", message: `${what} is gone; it was deleted while CDI imported it` };
  const phase = dv.status?.phase;
  if (phase === "Failed") {
    const why = dv.status?.conditions?.find((c) => c.status === "False" && c.message)?.message ?? "no reason given";
    const mismatch = /checksum/i.test(why);
    return { state: "failed", code: mismatch ? "ChecksumMismatch" : "ImportFailed", message: `${what}: CDI's import failed: ${why}` };
  }
  if (phase !== "Succeeded") {
    // A real CDI importer that fails restarts its pod and reports the error on the Running condition while the phase
    // stays ImportInProgress: a checksum mismatch never heals, and an import that keeps failing is given up.
    const error = dv.status?.conditions?.find((c) => c.type === "Running" && c.status === "False" && c.reason === "Error");
    if (error && /checksum/i.test(error.message ?? "")) return { state: "failed", code: "ChecksumMismatch", message: `${what}: CDI's import failed: ${error.message}` };
    if (error && (dv.status?.restartCount ?? 0) >= MAX_IMPORTER_RESTARTS) {
      return { state: "failed", code: "ImportFailed", message: `${what}: CDI's importer failed ${dv.status?.restartCount} times: ${error.message ?? "no reason given"}` };
    }
    return { state: "importing", message: `${what} is ${phase ?? "pending"}${dv.status?.progress ? ` (${dv.status.progress})` : ""}` };
  }
  // Succeeded proves the file CDI fetched is the one whose checksum the DataVolume names; without a checksum CDI
  // proved nothing, so the volume is not verified.
  const checksum = dv.spec?.source?.http?.checksum;
  const guest = dv.metadata.annotations?.[where.checksumKey];
  if (!checksum || !SHA256.test(checksum) || !guest || !SHA256.test(guest)) {
    return { state: "failed", code: "ImportFailed", message: `${what} succeeded but carries no sha256 checksum for CDI to have verified (spec.source.http.checksum ${checksum ?? "absent"}, annotation ${where.checksumKey} ${guest ?? "absent"}); import it again` };
  }
  return { state: "verified", sha256: guest };
}

const UNITS: Record<string, number> = { "": 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Bytes of a Kubernetes storage quantity ("16Gi", "1048576"); undefined when it is not one. */
export function quantityBytes(q: string | undefined): number | undefined {
  const m = q ? /^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q) : null;
  return m ? Number(m[1]) * (UNITS[m[2] ?? ""] as number) : undefined;
}
