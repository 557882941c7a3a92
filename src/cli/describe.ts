// `describe`: one object for humans — metadata, a spec summary, status, conditions and, for VMMigrations,
// per-disk progress.
import { stringify } from "yaml";
import type { KubeObject } from "../api/meta.ts";
import { age } from "./columns.ts";
import { renderTable } from "./printers.ts";
import { diskRows, disksOf, formatBytes, transferLine, transferProgressOf } from "./progress.ts";

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

  const transfer = transferProgressOf(status);
  if (transfer) field("Progress", transferLine(String(status.phase ?? ""), transfer).trim());
  if (obj.kind === "VMMigration") out += migrationDisks(status) + phaseHistory(status.phaseHistory);
  const { conditions, disks: _disks, phaseHistory: _history, ...rest } = status;
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
  const disks = disksOf(status);
  if (disks.length === 0) return "Disks:\t<none>\n";
  const progress = diskRows(disks);
  const rows = [
    ["DISK", "SIZE", "PROGRESS", "DONE", "STATE", "TRANSPORT", "ALLOCATED", "SHA256", "POOL", "TARGET"],
    ...disks.map((d, i) => [
      ...progress[i],
      d.transport ?? "-",
      d.allocatedBytes === undefined ? "-" : formatBytes(d.allocatedBytes),
      d.sha256 ? d.sha256.slice(0, 19) : "-",
      d.pool ?? "-",
      d.targetPath ?? "-",
    ]),
  ];
  return `Disks:\n${indent(renderTable(rows))}\n`;
}

/** When each phase was entered, so a slow step stands out. */
export function phaseHistory(history: unknown): string {
  if (!Array.isArray(history) || history.length === 0) return "";
  const rows = [["PHASE", "ENTERED"], ...history.map((h: Record<string, unknown>) => [String(h?.phase ?? ""), String(h?.enteredAt ?? "")])];
  return `Phase history:\n${indent(renderTable(rows))}\n`;
}
