// What landfall knows about the operating system inside a VM: from inspecting and converting its disk during a
// migration (VMMigration status.guest) and from the running guest's agent (VirtualMachine status.guest).
import { type Static, Type } from "@sinclair/typebox";

export const GuestConversionMode = Type.Union([Type.Literal("auto"), Type.Literal("skip")], {
  default: "auto",
  description: "auto: inspect the boot disk and convert the guest for KVM (virtio drivers, guest tools); skip: copy it unchanged",
});
export type GuestConversionMode = Static<typeof GuestConversionMode>;

const guestIdentity = {
  os: Type.String({ description: "linux | windows | … | unknown (no operating system recognised)" }),
  distro: Type.Optional(Type.String()),
  version: Type.Optional(Type.String()),
  productName: Type.Optional(Type.String()),
};

export const MigrationGuest = Type.Object(
  {
    ...guestIdentity,
    firmware: Type.Optional(Type.String({ description: "bios | uefi, as the guest's disk shows it" })),
    conversion: Type.Array(Type.String(), { description: "what the conversion changed in the guest; empty when nothing" }),
    warnings: Type.Optional(Type.Array(Type.String(), { description: "what the converter warned about" })),
    converter: Type.Optional(Type.String({ description: "tool and version that converted the guest" })),
    message: Type.Optional(Type.String({ description: "why the guest was left as it is, when it was" })),
  },
  { additionalProperties: false },
);
export type MigrationGuest = Static<typeof MigrationGuest>;

export const VirtualMachineGuest = Type.Object(
  {
    ...guestIdentity,
    hostname: Type.Optional(Type.String()),
    kernel: Type.Optional(Type.String()),
    ipAddresses: Type.Optional(Type.Array(Type.String())),
    agentReachable: Type.Boolean(),
    checkedAt: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type VirtualMachineGuest = Static<typeof VirtualMachineGuest>;
