// `delete KIND NAME`: --cascade=orphan forgets the resource and leaves what it manages; --delete-disks also
// removes a VM's disks.
import type { KubeObject } from "../../api/meta.ts";
import { parseKindAndName, UsageError } from "../args.ts";
import type { LandfallClient } from "../client.ts";

const POLICIES: Record<string, string> = { orphan: "Orphan", background: "Background", foreground: "Foreground" };

export function propagationFor(cascade: string | undefined): string | undefined {
  if (cascade === undefined) return undefined;
  const p = POLICIES[cascade.toLowerCase()];
  if (!p) throw new UsageError(`--cascade=${cascade} is not supported; use orphan, background or foreground`);
  return p;
}

export async function deleteCommand(
  client: LandfallClient,
  kindArg: string,
  nameArg: string | undefined,
  opts: { namespace?: string; cascade?: string; deleteDisks?: boolean },
): Promise<string> {
  const { info, name } = parseKindAndName(kindArg, nameArg);
  if (!name) throw new UsageError(`delete needs a name: landfall delete ${info.singular} NAME`);
  const result = await client.delete<KubeObject>(info, opts.namespace ?? "default", name, {
    propagationPolicy: propagationFor(opts.cascade),
    deleteDisks: opts.deleteDisks ? "true" : undefined,
  });
  const pending = result?.metadata?.deletionTimestamp && (result.metadata.finalizers ?? []).length > 0;
  return `${info.singular}/${name} ${pending ? `deletion requested (waiting for finalizers: ${result.metadata.finalizers!.join(", ")})` : "deleted"}`;
}
