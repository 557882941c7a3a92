// `token create|list|revoke` and `whoami`: tokens are made and revoked by the server (admins only); a new
// token is printed once, listings never show tokens.
import type { LandfallClient } from "../client.ts";
import { UsageError } from "../args.ts";
import { renderTable } from "../printers.ts";

const ROLES = ["viewer", "editor", "admin"];

export interface TokenInfo {
  id: string;
  name: string;
  role: string;
  namespaces?: string[];
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
}

export async function tokenCreateCommand(client: LandfallClient, opts: { role?: string; name?: string; namespace?: string[]; ttl?: string }): Promise<string> {
  if (!opts.role || !ROLES.includes(opts.role)) throw new UsageError(`--role must be one of ${ROLES.join(", ")} (got ${JSON.stringify(opts.role ?? "")})`);
  const body = {
    role: opts.role,
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.namespace && opts.namespace.length > 0 ? { namespaces: opts.namespace } : {}),
    ...(opts.ttl ? { ttl: opts.ttl } : {}),
  };
  const res = await client.request<{ token: string }>("POST", "/auth/tokens", { body });
  return res.token;
}

export function formatTokens(items: TokenInfo[], output: string): string {
  if (output === "json") return `${JSON.stringify({ kind: "TokenList", items }, null, 2)}\n`;
  const rows = items.map((t) => [t.id, t.name, t.role, t.namespaces?.join(",") ?? "*", t.expiresAt ?? "never", t.createdAt, t.revokedAt ? `revoked ${t.revokedAt}` : "active"]);
  return renderTable([["ID", "NAME", "ROLE", "NAMESPACES", "EXPIRES", "CREATED", "STATUS"], ...rows]);
}

export async function tokenListCommand(client: LandfallClient, opts: { output: string }): Promise<string> {
  const res = await client.request<{ items: TokenInfo[] }>("GET", "/auth/tokens");
  return formatTokens(res.items, opts.output);
}

export async function tokenRevokeCommand(client: LandfallClient, id: string): Promise<string> {
  const res = await client.request<TokenInfo>("DELETE", `/auth/tokens/${encodeURIComponent(id)}`);
  return `token ${res.id} (${res.name}) revoked`;
}

export async function whoamiCommand(client: LandfallClient): Promise<string> {
  const me = await client.request<{ id: string; name: string; role: string; namespaces?: string[] }>("GET", "/auth/whoami");
  return `${me.name} (ID ${me.id}): role ${me.role}, namespaces ${me.namespaces?.join(", ") ?? "all"}`;
}
