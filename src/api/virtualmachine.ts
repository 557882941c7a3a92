// VirtualMachine: a managed VM on a target provider, built from exactly one of imageRef (a base image) or
// importedDisk (a disk a migration, clone, import, snapshot or a person brought) — the seed's feature.
import { type Static, Type } from "@sinclair/typebox";
import { commonStatus, LocalObjectReference, ProviderReference, type Resource, resourceSchema } from "./meta.ts";
import { VirtualMachineGuest } from "./guest.ts";

export const DiskFormat = Type.Union(
  [Type.Literal("qcow2"), Type.Literal("vmdk"), Type.Literal("raw"), Type.Literal("vdi"), Type.Literal("vhdx")],
  { default: "qcow2" },
);
export type DiskFormat = Static<typeof DiskFormat>;

export const DiskSource = Type.Union([
  Type.Literal("migration"),
  Type.Literal("clone"),
  Type.Literal("import"),
  Type.Literal("snapshot"),
  Type.Literal("manual"),
]);
export type DiskSource = Static<typeof DiskSource>;

const DiskID = Type.String({ pattern: "^[A-Za-z0-9][-A-Za-z0-9_.]*$", maxLength: 200 });
const DiskPath = Type.String({ pattern: "^[^\\u0000]+$", maxLength: 4096 });

/** A disk file in the target's storage: what every imported disk, boot or data, has. */
const diskFields = {
  diskID: DiskID,
  path: Type.Optional(DiskPath),
  format: Type.Optional(DiskFormat),
  sizeGiB: Type.Optional(Type.Integer({ minimum: 1, maximum: 65536 })),
};

export const DataDisk = Type.Object(diskFields, { additionalProperties: false });
export type DataDisk = Static<typeof DataDisk>;

/** The boot disk, with where it came from (the seed's ImportedDiskRef). */
export const ImportedDisk = Type.Object(
  { ...diskFields, source: Type.Optional(DiskSource), migrationRef: Type.Optional(LocalObjectReference) },
  { additionalProperties: false },
);
export type ImportedDisk = Static<typeof ImportedDisk>;

export const Network = Type.Object(
  {
    name: Type.String({ minLength: 1, description: "target network; 'user' for QEMU user-mode networking" }),
    macAddress: Type.Optional(Type.String({ pattern: "^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$" })),
    model: Type.Optional(Type.Union([Type.Literal("virtio"), Type.Literal("e1000"), Type.Literal("e1000e"), Type.Literal("rtl8139")])),
  },
  { additionalProperties: false },
);
export type Network = Static<typeof Network>;

export const PowerState = Type.Union([Type.Literal("On"), Type.Literal("Off")]);
export type PowerState = Static<typeof PowerState>;
export const Firmware = Type.Union([Type.Literal("bios"), Type.Literal("uefi")]);
export type Firmware = Static<typeof Firmware>;
export const DiskBus = Type.Union([Type.Literal("virtio"), Type.Literal("sata"), Type.Literal("scsi")]);
export type DiskBus = Static<typeof DiskBus>;

export const VirtualMachineSpec = Type.Object(
  {
    providerRef: ProviderReference,
    imageRef: Type.Optional(LocalObjectReference),
    importedDisk: Type.Optional(ImportedDisk),
    dataDisks: Type.Optional(Type.Array(DataDisk, { maxItems: 32 })),
    cpus: Type.Optional(Type.Integer({ minimum: 1, maximum: 512, default: 1 })),
    memoryMiB: Type.Optional(Type.Integer({ minimum: 16, maximum: 16777216, default: 1024 })),
    firmware: Type.Optional(Firmware),
    diskBus: Type.Optional(DiskBus),
    cpuModel: Type.Optional(
      Type.String({
        pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description: "host-model, host-passthrough, max or a named QEMU model; default: host-model under KVM, Nehalem (x86-64-v2) under TCG",
      }),
    ),
    machineType: Type.Optional(Type.String({ pattern: "^[a-z0-9][a-z0-9_.-]*$", description: "QEMU machine type, e.g. q35 or pc" })),
    networks: Type.Optional(Type.Array(Network, { maxItems: 16 })),
    powerState: Type.Optional(PowerState),
    uuid: Type.Optional(
      Type.String({
        pattern: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        description: "firmware (SMBIOS) UUID the guest sees; kept from the source on migration and adoption so the guest stays the same machine",
      }),
    ),
  },
  {
    additionalProperties: false,
    // Exactly one disk origin. The validator turns a failure here into one message naming both fields.
    oneOf: [
      { required: ["imageRef"], not: { required: ["importedDisk"] } },
      { required: ["importedDisk"], not: { required: ["imageRef"] } },
    ],
  },
);
export type VirtualMachineSpec = Static<typeof VirtualMachineSpec>;

export const VirtualMachinePhase = Type.Union([
  Type.Literal("Pending"),
  Type.Literal("Provisioning"),
  Type.Literal("Running"),
  Type.Literal("Stopped"),
  Type.Literal("Failed"),
]);
export type VirtualMachinePhase = Static<typeof VirtualMachinePhase>;

export const VirtualMachineStatus = Type.Object(
  {
    ...commonStatus,
    phase: Type.Optional(VirtualMachinePhase),
    providerID: Type.Optional(Type.String({ description: "identity on the target: the libvirt domain UUID" })),
    domainName: Type.Optional(Type.String()),
    importID: Type.Optional(Type.String()),
    diskInfo: Type.Optional(
      Type.Object(
        {
          targetFormat: Type.Optional(Type.String()),
          targetChecksum: Type.Optional(Type.String()),
          path: Type.Optional(Type.String()),
          virtualSizeBytes: Type.Optional(Type.Integer()),
        },
        { additionalProperties: false },
      ),
    ),
    disks: Type.Optional(
      Type.Array(
        Type.Object(
          {
            diskID: Type.String(),
            path: Type.String(),
            format: Type.String(),
            bus: Type.Optional(Type.String()),
            sizeBytes: Type.Optional(Type.Integer({ minimum: 0, description: "guest-visible size of the volume, as measured when the VM was adopted" })),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    consoleLog: Type.Optional(Type.String({ description: "file the guest's serial console is written to" })),
    guest: Type.Optional(VirtualMachineGuest),
    powerState: Type.Optional(Type.String()),
    /** The value of the `landfall.dev/restart-requested-at` annotation last acted upon (see decide.ts). */
    observedRestartRequest: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type VirtualMachineStatus = Static<typeof VirtualMachineStatus>;

export const VirtualMachineSchema = resourceSchema("VirtualMachine", {
  spec: VirtualMachineSpec,
  status: Type.Optional(VirtualMachineStatus),
});
export type VirtualMachine = Resource<VirtualMachineSpec, VirtualMachineStatus>;
