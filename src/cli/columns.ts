// Table columns per kind, in one place: what `get` prints (and `-o wide` adds).
import { PRESETS } from "../api/conventions.ts";
import type { KubeObject } from "../api/meta.ts";
import { bytesSummary, formatBytes } from "./progress.ts";

export interface Column {
  header: string;
  value: (obj: KubeObject, now: Date) => string;
  /** Shown only with -o wide. */
  wide?: boolean;
}

type Any = Record<string, unknown> | undefined;
const at = (obj: unknown, ...path: string[]): unknown => {
  let cur = obj;
  for (const p of path) cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[p] : undefined;
  return cur;
};
const text = (v: unknown): string => (v === undefined || v === null || v === "" ? "<none>" : String(v));

/** Kubernetes-style age: 45s, 12m, 3h, 5d. */
export function age(timestamp: string | undefined, now: Date): string {
  if (!timestamp) return "<unknown>";
  const s = Math.max(0, Math.floor((now.getTime() - Date.parse(timestamp)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export const humanBytes = formatBytes;

export function condition(obj: KubeObject, type: string): { status?: string; reason?: string; message?: string } | undefined {
  const conds = at(obj, "status", "conditions");
  return Array.isArray(conds) ? (conds as Array<Record<string, string>>).find((c) => c?.type === type) : undefined;
}

const name: Column = { header: "NAME", value: (o) => o.metadata.name };
const phase: Column = { header: "PHASE", value: (o) => text(at(o, "status", "phase")) };
const ageCol: Column = { header: "AGE", value: (o, now) => age(o.metadata.creationTimestamp, now) };
const ready: Column = { header: "READY", value: (o) => text(condition(o, "Ready")?.status) };

/** "42% 1.2GiB/3.0GiB" from status.progress; "-" before the total is known. */
export function migrationProgress(obj: KubeObject): string {
  const done = at(obj, "status", "progress", "bytesDone");
  const total = at(obj, "status", "progress", "bytesTotal");
  return bytesSummary(done as number | undefined, total as number | undefined);
}

/** Where the VM's boot disk came from: importedDisk.source (migration, clone, import, …) or "image:<name>". */
export function vmSource(o: KubeObject): string {
  const image = at(o, "spec", "imageRef", "name");
  if (typeof image === "string") return `image:${image}`;
  if (at(o, "spec", "importedDisk") === undefined) return "<none>";
  return text(at(o, "spec", "importedDisk", "source") ?? "importedDisk");
}

/** Adoption labels are written under the server's prefix: landfall.dev, or cozystack.io with the Cozystack preset. */
const ADOPTED_KEYS = [...new Set(Object.values(PRESETS).map((p) => `${p.prefix}/adopted`))];
export function vmAdopted(o: KubeObject): string {
  const labels = o.metadata.labels ?? {};
  return ADOPTED_KEYS.some((k) => labels[k] === "true") ? "true" : "false";
}

/** Per-VM summary of a VMImport: "2/3 ok", plus failures when there are any. */
export function importVMs(o: KubeObject): string {
  const listed = (at(o, "spec", "vms") as unknown[] | undefined)?.length ?? 0;
  const total = (at(o, "status", "progress", "total") as number | undefined) ?? listed;
  const ok = (at(o, "status", "progress", "succeeded") as number | undefined) ?? 0;
  const failed = (at(o, "status", "progress", "failed") as number | undefined) ?? 0;
  return `${ok}/${total} ok${failed > 0 ? `, ${failed} failed` : ""}`;
}

/** Bytes of all the import's VMs: status.progress when the controller summed them, else the per-VM entries. */
export function importBytes(o: KubeObject): string {
  const done = at(o, "status", "progress", "bytesDone");
  const total = at(o, "status", "progress", "bytesTotal");
  if (typeof done === "number" && typeof total === "number") return bytesSummary(done, total);
  const vms = at(o, "status", "vms");
  if (!Array.isArray(vms)) return "-";
  let d = 0;
  let t = 0;
  for (const v of vms as Array<Record<string, unknown>>) {
    if (typeof v?.bytesDone === "number") d += v.bytesDone;
    if (typeof v?.bytesTotal === "number") t += v.bytesTotal;
  }
  return bytesSummary(d, t);
}

export const COLUMNS: Record<string, Column[]> = {
  VirtualMachine: [
    name,
    phase,
    { header: "PROVIDER", value: (o) => text(at(o, "spec", "providerRef", "name")) },
    { header: "SOURCE", value: vmSource },
    { header: "ADOPTED", value: vmAdopted },
    ageCol,
    { header: "PROVIDERID", value: (o) => text(at(o, "status", "providerID")), wide: true },
    { header: "CPUS", value: (o) => text(at(o, "spec", "cpus")), wide: true },
    { header: "MEMORY", value: (o) => (typeof at(o, "spec", "memoryMiB") === "number" ? `${at(o, "spec", "memoryMiB")}Mi` : "<none>"), wide: true },
  ],
  VMMigration: [
    name,
    phase,
    { header: "PROGRESS", value: migrationProgress },
    { header: "SOURCE", value: (o) => `${text(at(o, "spec", "source", "providerRef", "name"))}/${text(at(o, "spec", "source", "vmName") ?? at(o, "spec", "source", "vmID"))}` },
    { header: "TARGET", value: (o) => `${text(at(o, "spec", "target", "providerRef", "name"))}/${text(at(o, "spec", "target", "vmName"))}` },
    ageCol,
    { header: "MESSAGE", value: (o) => text(at(o, "status", "message")), wide: true },
  ],
  Provider: [
    name,
    { header: "TYPE", value: (o) => text(at(o, "spec", "type")) },
    ready,
    { header: "REASON", value: (o) => text(condition(o, "Ready")?.reason) },
    { header: "VMS", value: (o) => text(at(o, "status", "inventory", "vms")) },
    ageCol,
    { header: "ENDPOINT", value: (o) => text(at(o, "spec", "endpoint") ?? at(o, "spec", "uri")), wide: true },
  ],
  VMImport: [
    name,
    phase,
    { header: "VMS", value: importVMs },
    { header: "PROGRESS", value: importBytes },
    ageCol,
    { header: "RUNNING", value: (o) => text(at(o, "status", "progress", "running") ?? 0), wide: true },
    { header: "TARGET", value: (o) => `${text(at(o, "spec", "target", "providerRef", "name"))}/${text(at(o, "spec", "target", "namespace") ?? o.metadata.namespace ?? "default")}`, wide: true },
  ],
  VMImage: [name, phase, ready, ageCol, { header: "PATH", value: (o) => text(at(o, "spec", "path")), wide: true }],
  Secret: [name, { header: "TYPE", value: (o) => text(o.type ?? "Opaque") }, { header: "DATA", value: (o) => String(Object.keys((o.data as Any) ?? {}).length) }, ageCol],
  ConfigMap: [name, { header: "DATA", value: (o) => String(Object.keys((o.data as Any) ?? {}).length) }, ageCol],
};

export function columnsFor(kind: string, wide: boolean, allNamespaces: boolean): Column[] {
  const cols = (COLUMNS[kind] ?? [name, ageCol]).filter((c) => wide || !c.wide);
  return allNamespaces ? [{ header: "NAMESPACE", value: (o) => o.metadata.namespace ?? "default" }, ...cols] : cols;
}
