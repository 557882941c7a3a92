// VMAction: a one-shot request the controllers carry out — what the embedded server also offers as custom
// routes (adopt, unadopt, clone, inventory), expressed as a resource so kubectl, GitOps and operator mode (no
// custom routes) can ask for it. Restart is the VirtualMachine annotation landfall.dev/restart-requested-at;
// start/stop is spec.powerState.
import { type Static, Type } from "@sinclair/typebox";
import { commonStatus, LocalObjectReference, Name, ProviderReference, type Resource, resourceSchema } from "./meta.ts";

export const VMActionType = Type.Union([Type.Literal("adopt"), Type.Literal("unadopt"), Type.Literal("clone"), Type.Literal("inventory")]);
export type VMActionType = Static<typeof VMActionType>;

export const VMActionSpec = Type.Object(
  {
    action: VMActionType,
    /** adopt, inventory: the Provider. */
    providerRef: Type.Optional(ProviderReference),
    /** adopt: the VM's name or UUID on the provider. */
    vm: Type.Optional(Type.String({ minLength: 1 })),
    /** adopt: the import plan the VM claims to come from. */
    plan: Type.Optional(Type.String()),
    /** unadopt, clone: the VirtualMachine acted on (in this namespace). */
    virtualMachineRef: Type.Optional(LocalObjectReference),
    /** clone: the new VirtualMachine's name. */
    cloneName: Type.Optional(Name),
    powerOn: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type VMActionSpec = Static<typeof VMActionSpec>;

export const InventoryItem = Type.Object(
  {
    name: Type.String(),
    id: Type.Optional(Type.String()),
    uuid: Type.Optional(Type.String()),
    powerState: Type.Optional(Type.String()),
    cpus: Type.Optional(Type.Integer()),
    memoryMiB: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
export type InventoryItem = Static<typeof InventoryItem>;

export const VMActionStatus = Type.Object(
  {
    ...commonStatus,
    phase: Type.Optional(Type.Union([Type.Literal("Pending"), Type.Literal("Succeeded"), Type.Literal("Failed")])),
    /** The VirtualMachine the action produced or acted on (adopt, clone, unadopt). */
    virtualMachineRef: Type.Optional(LocalObjectReference),
    /** inventory: the provider's VMs. */
    inventory: Type.Optional(Type.Array(InventoryItem)),
    completedAt: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type VMActionStatus = Static<typeof VMActionStatus>;

export const VMActionSchema = resourceSchema("VMAction", { spec: VMActionSpec, status: Type.Optional(VMActionStatus) });
export type VMAction = Resource<VMActionSpec, VMActionStatus>;

/** The fields each action needs, as error causes (empty when the spec is complete). Pure. */
export function vmActionProblems(spec: VMActionSpec): Array<{ field: string; message: string }> {
  const needs: Record<VMActionType, Array<keyof VMActionSpec>> = {
    adopt: ["providerRef", "vm"],
    inventory: ["providerRef"],
    unadopt: ["virtualMachineRef"],
    clone: ["virtualMachineRef", "cloneName"],
  };
  return needs[spec.action].filter((f) => spec[f] === undefined).map((f) => ({ field: `spec.${f}`, message: `required for action "${spec.action}"` }));
}
