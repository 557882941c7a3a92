// `token create --role viewer|admin`: asks the server for a new token; it is shown once.
import type { LandfallClient } from "../client.ts";
import { UsageError } from "../args.ts";

export async function tokenCreateCommand(client: LandfallClient, opts: { role?: string; name?: string }): Promise<string> {
  if (opts.role !== "viewer" && opts.role !== "admin") throw new UsageError(`--role must be viewer or admin (got ${JSON.stringify(opts.role ?? "")})`);
  const res = await client.request<{ token: string }>("POST", "/auth/tokens", { body: { role: opts.role, ...(opts.name ? { name: opts.name } : {}) } });
  return res.token;
}
