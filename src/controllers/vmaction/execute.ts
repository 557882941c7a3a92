// Carries out a VMAction with the same functions the embedded server's routes call (adoption, clone,
// inventory), and decides what its status says. Pure parts: vmActionProblems (api) and outcomeStatus.
import type { Conventions } from "../../api/conventions.ts";
import { ApiError, invalid } from "../../api/errors.ts";
import type { InventoryItem, VMAction, VMActionStatus } from "../../api/vmaction.ts";
import { vmActionProblems } from "../../api/vmaction.ts";
import type { ResourceStore } from "../../store/types.ts";
import type { AdoptionService } from "../adoption/service.ts";
import type { ProviderClients } from "../provider/clients.ts";
import { providerInventory } from "../provider/inventory.ts";
import { cloneVirtualMachine } from "../virtualmachine/clone.ts";

export interface VMActionDeps {
  store: ResourceStore;
  clients: ProviderClients;
  adoption: AdoptionService;
  conventions: Conventions;
}

/** What a finished action reports besides its phase. */
export type VMActionOutcome = Pick<VMActionStatus, "virtualMachineRef" | "inventory" | "message">;

/** Runs the action; throws ApiError on failure (4xx: the request cannot succeed as written). */
export async function executeVMAction(deps: VMActionDeps, action: VMAction): Promise<VMActionOutcome> {
  const ns = action.metadata.namespace ?? "default";
  const { spec } = action;
  const problems = vmActionProblems(spec);
  if (spec.providerRef?.namespace !== undefined && spec.providerRef.namespace !== ns) {
    problems.push({ field: "spec.providerRef.namespace", message: `must be the VMAction's own namespace ("${ns}") or unset` });
  }
  if (problems.length > 0) throw invalid("VMAction", action.metadata.name, problems);
  switch (spec.action) {
    case "adopt": {
      const decision = await deps.adoption.adopt(ns, spec.providerRef!.name, spec.vm!, spec.plan);
      const mirror = decision.actions.find((a) => a.type === "create-virtualmachine");
      return {
        ...(mirror ? { virtualMachineRef: { name: mirror.virtualMachine.metadata.name } } : {}),
        message: `VM "${decision.name}" (${decision.uuid}) on Provider "${spec.providerRef!.name}": ${decision.decision}, ${decision.reason}`,
      };
    }
    case "unadopt": {
      const { uuid } = await deps.adoption.unadopt(ns, spec.virtualMachineRef!.name);
      return { virtualMachineRef: spec.virtualMachineRef, message: `VirtualMachine "${spec.virtualMachineRef!.name}" released; domain ${uuid} keeps running, untouched` };
    }
    case "clone": {
      const clone = await cloneVirtualMachine(deps, ns, spec.virtualMachineRef!.name, spec.cloneName!, spec.powerOn === true);
      return { virtualMachineRef: { name: clone.metadata.name }, message: `VirtualMachine "${clone.metadata.name}" cloned from "${spec.virtualMachineRef!.name}"` };
    }
    case "inventory": {
      const list = await providerInventory(deps.clients, ns, spec.providerRef!.name);
      const inventory: InventoryItem[] = list.items.map((vm) => ({
        name: vm.name,
        ...("id" in vm && vm.id ? { id: vm.id } : {}),
        ...(vm.uuid ? { uuid: vm.uuid } : {}),
        powerState: "powerState" in vm ? vm.powerState : vm.state,
        cpus: vm.cpus,
        memoryMiB: vm.memoryMiB,
      }));
      return { inventory, message: `${inventory.length} VM(s) on Provider "${spec.providerRef!.name}"` };
    }
  }
}

/** Whether a failure is final: the request as written cannot succeed (retrying would not help). */
export const isPermanent = (err: unknown): err is ApiError => err instanceof ApiError && err.code >= 400 && err.code < 500 && err.reason !== "Conflict";

/** The status of a finished action. */
export function outcomeStatus(status: VMActionStatus | undefined, result: { outcome: VMActionOutcome } | { error: ApiError }, now: string, generation: number | undefined): VMActionStatus {
  const ok = "outcome" in result;
  const message = ok ? result.outcome.message : result.error.message;
  return {
    ...(status ?? {}),
    ...(ok ? result.outcome : {}),
    phase: ok ? "Succeeded" : "Failed",
    message,
    completedAt: now,
    observedGeneration: generation,
    conditions: [{ type: "Ready", status: ok ? "True" : "False", reason: ok ? "Succeeded" : result.error.reason, message, lastTransitionTime: now }],
  };
}
