// `cutover vmm/NAME [--at TIME]` sets a warm migration's spec.cutover: now by default, or an RFC 3339 time
// (changeable while precopies run; the controller reconciles the change at once).
import { parseKindAndName, UsageError } from "../args.ts";
import { type LandfallClient, resourcePath } from "../client.ts";

const RFC3339 = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$/;

/** The cutover time to set: --at as given (RFC 3339, normalised to UTC), or now. Pure. */
export function cutoverTime(at: string | undefined, now: Date): string {
  if (at === undefined || at === "now") return now.toISOString().replace(/\.\d+Z$/, "Z");
  if (!RFC3339.test(at) || Number.isNaN(Date.parse(at))) throw new UsageError(`--at "${at}" is not an RFC 3339 time; write e.g. 2026-03-01T22:00:00Z, or leave it out to cut over now`);
  return new Date(Date.parse(at)).toISOString();
}

export async function cutoverCommand(client: LandfallClient, kindArg: string, nameArg: string | undefined, opts: { namespace?: string; at?: string }): Promise<string> {
  const { info, name } = parseKindAndName(kindArg, nameArg);
  if (info.kind !== "VMMigration") throw new UsageError(`cutover works on VMMigrations only (got ${info.singular}); use: landfall cutover vmm/NAME [--at TIME]`);
  if (!name) throw new UsageError("cutover needs a name: landfall cutover vmm/NAME [--at TIME]");
  const at = cutoverTime(opts.at, new Date());
  const ns = opts.namespace ?? "default";
  const m = await client.request<{ spec?: { options?: { mode?: string } } }>("GET", resourcePath(info, ns, name));
  if (m.spec?.options?.mode !== "warm") throw new UsageError(`vmmigration/${name} is not a warm migration (spec.options.mode is "${m.spec?.options?.mode ?? "cold"}"); only warm migrations have a cutover`);
  await client.request("PATCH", resourcePath(info, ns, name), { body: { spec: { cutover: at } }, contentType: "application/merge-patch+json" });
  return `vmmigration/${name} cuts over at ${at}`;
}
