// `token create --role viewer|editor|admin [--namespace NS]...`: asks the server for a new token; it is shown once.
import type { LandfallClient } from "../client.ts";
import { UsageError } from "../args.ts";

export async function tokenCreateCommand(client: LandfallClient, opts: { role?: string; name?: string; namespace?: string[] }): Promise<string> {
  if (opts.role !== "viewer" && opts.role !== "editor" && opts.role !== "admin") throw new UsageError(`--role must be viewer, editor or admin (got ${JSON.stringify(opts.role ?? "")})`);
  const namespaces = opts.namespace?.length ? { namespaces: opts.namespace } : {};
  const res = await client.request<{ token: string }>("POST", "/auth/tokens", { body: { role: opts.role, ...(opts.name ? { name: opts.name } : {}), ...namespaces } });
  return res.token;
}
