// `describe`: one object for humans — metadata, a spec summary, status, conditions and, for VMMigrations,
// per-disk progress.
import { stringify } from "yaml";
import type { KubeObject } from "../api/meta.ts";
import { age, humanBytes } from "./columns.ts";
import { renderTable } from "./printers.ts";

const indent = (text: string, by = "  "): string =>
  text
    .trimEnd()
    .split("\n")
    .map((l) => by + l)
    .join("\n");

function section(title: string, body: unknown): string {
  if (body === undefined || body === null || (typeof body === "object" && Object.keys(body).length === 0)) return `${title}:\t<none>\n`;
  return `${title}:\n${indent(stringify(body))}\n`;
}

function mapLines(m: Record<string, string> | undefined): string {
  const entries = Object.entries(m ?? {});
  return entries.length === 0 ? "<none>" : entries.map(([k, v]) => `${k}=${v}`).join("\n" + " ".repeat(14));
}

export function describeObject(obj: KubeObject, now = new Date()): string {
  const m = obj.metadata;
  const status = (obj.status ?? {}) as Record<string, unknown>;
  let out = "";
  const field = (label: string, value: unknown) => {
    out += `${`${label}:`.padEnd(14)}${value === undefined || value === "" ? "<none>" : String(value)}\n`;
  };
  field("Name", m.name);
  field("Namespace", m.namespace ?? "default");
  field("Kind", obj.kind);
  field("Labels", mapLines(m.labels));
  field("Annotations", mapLines(m.annotations));
  field("UID", m.uid);
  field("Created", m.creationTimestamp ? `${m.creationTimestamp} (${age(m.creationTimestamp, now)} ago)` : undefined);
  field("Version", m.resourceVersion);
  if (m.deletionTimestamp) field("Deleting", `${m.deletionTimestamp} (finalizers: ${(m.finalizers ?? []).join(", ") || "none"})`);
  if (status.phase !== undefined) field("Phase", status.phase);
  if (status.message !== undefined) field("Message", status.message);

  if (obj.kind === "Secret") out += section("Data keys", Object.keys((obj.data as object) ?? {}));
  else if (obj.kind === "ConfigMap") out += section("Data", obj.data);
  else out += section("Spec", obj.spec);

  if (obj.kind === "VMMigration") out += migrationDisks(status);
  const { conditions, disks: _disks, ...rest } = status;
  if (obj.status !== undefined) out += section("Status", rest);
  out += conditionsTable(conditions);
  return out;
}

function conditionsTable(conditions: unknown): string {
  if (!Array.isArray(conditions) || conditions.length === 0) return "Conditions:\t<none>\n";
  const rows = [["TYPE", "STATUS", "REASON", "MESSAGE"], ...conditions.map((c: Record<string, string>) => [c.type ?? "", c.status ?? "", c.reason ?? "", c.message ?? ""])];
  return `Conditions:\n${indent(renderTable(rows))}\n`;
}

function migrationDisks(status: Record<string, unknown>): string {
  const disks = status.disks;
  if (!Array.isArray(disks) || disks.length === 0) return "Disks:\t<none>\n";
  const rows = [
    ["DISK", "SIZE", "PROGRESS", "SHA256", "TARGET"],
    ...disks.map((d: Record<string, unknown>) => {
      const size = typeof d.sizeBytes === "number" ? d.sizeBytes : 0;
      const done = typeof d.bytesDone === "number" ? d.bytesDone : 0;
      const pct = size > 0 ? `${Math.floor((done / size) * 100)}% (${humanBytes(done)})` : "-";
      const sha = typeof d.sha256 === "string" ? d.sha256.slice(0, 19) : "-";
      return [String(d.diskID ?? ""), size ? humanBytes(size) : "-", pct, sha, String(d.targetPath ?? "-")];
    }),
  ];
  return `Disks:\n${indent(renderTable(rows))}\n`;
}
