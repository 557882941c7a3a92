// Table columns per kind, in one place: what `get` prints (and `-o wide` adds).
import type { KubeObject } from "../api/meta.ts";

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

export function humanBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)}${units[i]}`;
}

export function condition(obj: KubeObject, type: string): { status?: string; reason?: string; message?: string } | undefined {
  const conds = at(obj, "status", "conditions");
  return Array.isArray(conds) ? (conds as Array<Record<string, string>>).find((c) => c?.type === type) : undefined;
}

const name: Column = { header: "NAME", value: (o) => o.metadata.name };
const phase: Column = { header: "PHASE", value: (o) => text(at(o, "status", "phase")) };
const ageCol: Column = { header: "AGE", value: (o, now) => age(o.metadata.creationTimestamp, now) };
const ready: Column = { header: "READY", value: (o) => text(condition(o, "Ready")?.status) };

export function migrationProgress(obj: KubeObject): string {
  const done = at(obj, "status", "progress", "bytesDone");
  const total = at(obj, "status", "progress", "bytesTotal");
  if (typeof done !== "number" || typeof total !== "number" || total <= 0) return "-";
  return `${Math.floor((done / total) * 100)}%`;
}

const diskSource = (o: KubeObject): string => (at(o, "spec", "importedDisk") ? "importedDisk" : at(o, "spec", "imageRef") ? "imageRef" : "<none>");
const adoptedLabel = (o: KubeObject): string => {
  const labels = o.metadata.labels ?? {};
  return Object.entries(labels).some(([k, v]) => k.endsWith("/adopted") && v === "true") ? "true" : "false";
};

export const COLUMNS: Record<string, Column[]> = {
  VirtualMachine: [
    name,
    phase,
    { header: "PROVIDER", value: (o) => text(at(o, "spec", "providerRef", "name")) },
    { header: "DISK-SOURCE", value: diskSource },
    ageCol,
    { header: "PROVIDERID", value: (o) => text(at(o, "status", "providerID")), wide: true },
    { header: "CPUS", value: (o) => text(at(o, "spec", "cpus")), wide: true },
    { header: "MEMORY", value: (o) => (typeof at(o, "spec", "memoryMiB") === "number" ? `${at(o, "spec", "memoryMiB")}Mi` : "<none>"), wide: true },
    { header: "ADOPTED", value: adoptedLabel, wide: true },
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
    { header: "VMS", value: (o) => text((at(o, "spec", "vms") as unknown[] | undefined)?.length) },
    { header: "SUCCEEDED", value: (o) => text(at(o, "status", "progress", "succeeded") ?? 0) },
    { header: "FAILED", value: (o) => text(at(o, "status", "progress", "failed") ?? 0) },
    ageCol,
  ],
  VMImage: [name, phase, ready, ageCol, { header: "PATH", value: (o) => text(at(o, "spec", "path")), wide: true }],
  Secret: [name, { header: "TYPE", value: (o) => text(o.type ?? "Opaque") }, { header: "DATA", value: (o) => String(Object.keys((o.data as Any) ?? {}).length) }, ageCol],
  ConfigMap: [name, { header: "DATA", value: (o) => String(Object.keys((o.data as Any) ?? {}).length) }, ageCol],
};

export function columnsFor(kind: string, wide: boolean, allNamespaces: boolean): Column[] {
  const cols = (COLUMNS[kind] ?? [name, ageCol]).filter((c) => wide || !c.wide);
  return allNamespaces ? [{ header: "NAMESPACE", value: (o) => o.metadata.namespace ?? "default" }, ...cols] : cols;
}
