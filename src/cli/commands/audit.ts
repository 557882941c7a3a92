// `audit [--since DURATION] [-o json]`: the server's audit log (admins only), oldest first.
import type { AuditEntry } from "../../api/audit.ts";
import type { LandfallClient } from "../client.ts";
import { renderTable } from "../printers.ts";

export function formatAudit(items: AuditEntry[], output: string): string {
  if (output === "json") return `${JSON.stringify({ kind: "AuditEntryList", items }, null, 2)}\n`;
  const rows = items.map((e) => [e.time, e.tokenName ? `${e.tokenName} (${e.tokenId})` : "-", e.role ?? "-", e.verb, e.resource, [e.namespace, e.name].filter(Boolean).join("/") || "-", String(e.code)]);
  return renderTable([["TIME", "TOKEN", "ROLE", "VERB", "RESOURCE", "OBJECT", "CODE"], ...rows]);
}

export async function auditCommand(client: LandfallClient, opts: { since?: string; output: string }): Promise<string> {
  const res = await client.request<{ items: AuditEntry[] }>("GET", "/auth/audit", { query: { since: opts.since } });
  return formatAudit(res.items, opts.output);
}
