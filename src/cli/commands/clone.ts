// `clone vm SRC NEW [--power-on]`: the server copies SRC's disks and creates NEW (importedDisk.source: clone).
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import { UsageError } from "../args.ts";
import { type LandfallClient, resourcePath } from "../client.ts";
import { virtualMachineTarget } from "./vm-target.ts";

export async function cloneCommand(
  client: LandfallClient,
  kindArg: string,
  source: string | undefined,
  newName: string | undefined,
  opts: { namespace?: string; powerOn?: boolean },
): Promise<string> {
  // `clone vm/SRC NEW` puts the new name where the source would be.
  const slash = kindArg.includes("/");
  const usage = "clone needs the source and the new name: landfall clone vm SRC NEW";
  if (!slash && !source) throw new UsageError(usage);
  const { info, name } = virtualMachineTarget("clone", kindArg, slash ? undefined : source);
  const target = slash ? source : newName;
  if (!target) throw new UsageError(usage);
  const created = await client.request<VirtualMachine>("POST", resourcePath(info, opts.namespace ?? "default", name, "clone"), {
    body: { name: target, ...(opts.powerOn ? { powerOn: true } : {}) },
  });
  return `${info.singular}/${created?.metadata?.name ?? target} created (clone of ${name})`;
}
