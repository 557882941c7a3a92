// VM actions (start, stop, restart, clone, unadopt) take `vm NAME` or `vm/NAME`, and only VirtualMachines.
import type { KindInfo } from "../../api/kinds.ts";
import { parseKindAndName, UsageError } from "../args.ts";

export function virtualMachineTarget(verb: string, kindArg: string, nameArg: string | undefined): { info: KindInfo; name: string } {
  const { info, name } = parseKindAndName(kindArg, nameArg);
  if (info.kind !== "VirtualMachine") throw new UsageError(`${verb} works on VirtualMachines only (got ${info.singular}); use: landfall ${verb} vm NAME`);
  if (!name) throw new UsageError(`${verb} needs a name: landfall ${verb} vm NAME`);
  return { info, name };
}
