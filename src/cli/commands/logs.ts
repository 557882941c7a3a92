// `logs KIND/NAME`: the events controllers recorded for an object (kept in the server's memory since it started),
// and for a VMMigration when each phase was entered.
import type { KubeObject } from "../../api/meta.ts";
import { parseKindAndName, UsageError } from "../args.ts";
import { type LandfallClient, resourcePath } from "../client.ts";
import { phaseHistory } from "../describe.ts";
import { renderTable } from "../printers.ts";

export interface EventItem {
  type?: string;
  reason?: string;
  message?: string;
  timestamp?: string;
  count?: number;
}

export function eventsTable(events: EventItem[]): string {
  const sorted = [...events].sort((a, b) => (a.timestamp ?? "").localeCompare(b.timestamp ?? ""));
  return renderTable([
    ["TIME", "TYPE", "REASON", "MESSAGE"],
    ...sorted.map((e) => [e.timestamp ?? "-", e.type ?? "-", e.reason ?? "-", `${e.message ?? ""}${(e.count ?? 1) > 1 ? ` (x${e.count})` : ""}`]),
  ]);
}

export async function logsCommand(client: LandfallClient, kindArg: string, nameArg: string | undefined, opts: { namespace?: string }): Promise<{ stdout: string; stderr: string }> {
  const { info, name } = parseKindAndName(kindArg, nameArg);
  if (!name) throw new UsageError(`logs needs an object: landfall logs ${info.singular}/NAME`);
  const ns = opts.namespace ?? "default";
  // Read the object first: events of a name that does not exist would be an empty list, not an error.
  const obj = await client.get<KubeObject>(info, ns, name);
  const { items } = await client.request<{ items: EventItem[] }>("GET", resourcePath(info, ns, name, "events"));
  let stdout = items?.length ? eventsTable(items) : "";
  if (info.kind === "VMMigration") {
    const history = phaseHistory((obj.status as { phaseHistory?: unknown } | undefined)?.phaseHistory);
    if (history) stdout += `${stdout ? "\n" : ""}${history}`;
  }
  const stderr = items?.length ? "" : `no events recorded for ${info.singular}/${name} since the server started\n`;
  return { stdout, stderr };
}
