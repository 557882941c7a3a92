// `adopt PROVIDER/VM`: bring a live VM under management without touching its disks; `unadopt vm NAME` undoes it
// and leaves the VM running, untouched.
import { targetNameFor } from "../../api/conventions.ts";
import { UsageError } from "../args.ts";
import { type LandfallClient, resourcePath } from "../client.ts";
import { findKind } from "../../api/kinds.ts";
import { virtualMachineTarget } from "./vm-target.ts";

export interface AdoptResult {
  uuid: string;
  name: string;
  decision: "adopt" | "already-adopted" | "ignore";
  reason?: string;
  plan?: string;
  actions?: Array<{ type: string; virtualMachine?: { metadata?: { name?: string } }; configMap?: { data?: Record<string, string> } }>;
}

/** "PROVIDER/VM" → its parts; the VM part may itself hold '/' (vSphere names can). */
export function parseAdoptTarget(arg: string): { provider: string; vm: string } {
  const slash = arg.indexOf("/");
  if (slash <= 0 || slash === arg.length - 1) throw new UsageError(`adopt needs PROVIDER/VM (a VM name or UUID), got "${arg}"; find VMs with 'landfall inventory PROVIDER'`);
  return { provider: arg.slice(0, slash), vm: arg.slice(slash + 1) };
}

/** The VirtualMachine the adoption created or labelled: from its actions, else the default name for the VM. */
export function adoptedResourceName(result: AdoptResult): string {
  for (const a of result.actions ?? []) {
    if (a.type === "create-virtualmachine" && a.virtualMachine?.metadata?.name) return a.virtualMachine.metadata.name;
  }
  for (const a of result.actions ?? []) {
    if (a.type === "create-configmap" && a.configMap?.data?.vmName) return a.configMap.data.vmName;
  }
  return targetNameFor(result.name);
}

export function describeAdoption(provider: string, vm: string, result: AdoptResult): string {
  if (result.decision === "already-adopted") return `${provider}/${vm} is already adopted${result.reason ? ` (${result.reason})` : ""}`;
  const plan = result.plan ? `, plan ${result.plan}` : "";
  return `adopted ${provider}/${vm} (${result.uuid}) as virtualmachine/${adoptedResourceName(result)}${plan}`;
}

export async function adoptCommand(client: LandfallClient, target: string, opts: { namespace?: string; plan?: string }): Promise<string> {
  const { provider, vm } = parseAdoptTarget(target);
  const ns = opts.namespace ?? "default";
  const result = await client.request<AdoptResult>("POST", resourcePath(findKind("provider")!, ns, provider, "adopt"), {
    body: { vm, ...(opts.plan ? { plan: opts.plan } : {}) },
  });
  return describeAdoption(provider, vm, result);
}

export async function unadoptCommand(client: LandfallClient, kindArg: string, nameArg: string | undefined, opts: { namespace?: string }): Promise<string> {
  const { info, name } = virtualMachineTarget("unadopt", kindArg, nameArg);
  const res = await client.request<{ uuid: string; actions?: unknown }>("POST", resourcePath(info, opts.namespace ?? "default", name, "unadopt"));
  return `${info.singular}/${name} unadopted (${res.uuid}): labels, tracking ConfigMap and resource removed; the VM keeps running, untouched`;
}
