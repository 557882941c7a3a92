// VMMigration: move one VM from a source provider to a target provider, disk by disk, proving each disk's
// sha256 at both ends, and create the VirtualMachine from the imported boot disk.
import { type Static, Type } from "@sinclair/typebox";
import { commonStatus, ProviderReference, Name, type Resource, resourceSchema } from "./meta.ts";
import { GuestConversionMode, MigrationGuest } from "./guest.ts";
import { DiskBus, DiskFormat } from "./virtualmachine.ts";

export const NetworkMapEntry = Type.Object(
  { source: Type.String({ minLength: 1 }), target: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);
export const StorageMapEntry = NetworkMapEntry;
export type MapEntry = Static<typeof NetworkMapEntry>;

export const VMMigrationPhase = Type.Union([
  Type.Literal("Pending"),
  Type.Literal("Validating"),
  Type.Literal("Exporting"),
  Type.Literal("Precopying"),
  Type.Literal("CuttingOver"),
  Type.Literal("Transferring"),
  Type.Literal("Converting"),
  Type.Literal("Importing"),
  Type.Literal("Creating"),
  Type.Literal("Succeeded"),
  Type.Literal("Failed"),
]);
export type VMMigrationPhase = Static<typeof VMMigrationPhase>;
export const MIGRATION_PHASES: readonly VMMigrationPhase[] = [
  "Pending",
  "Validating",
  "Exporting",
  "Precopying",
  "CuttingOver",
  "Transferring",
  "Converting",
  "Importing",
  "Creating",
  "Succeeded",
  "Failed",
];

export const VMMigrationSpec = Type.Object(
  {
    source: Type.Object(
      {
        providerRef: ProviderReference,
        vmName: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
        vmID: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
      },
      {
        additionalProperties: false,
        oneOf: [
          { required: ["vmName"], not: { required: ["vmID"] } },
          { required: ["vmID"], not: { required: ["vmName"] } },
        ],
      },
    ),
    target: Type.Object(
      {
        providerRef: ProviderReference,
        vmName: Type.Optional(Name),
        namespace: Type.Optional(Name),
        powerOn: Type.Optional(Type.Boolean({ default: false })),
        diskBus: Type.Optional(DiskBus),
        networkMap: Type.Optional(Type.Array(NetworkMapEntry)),
        storageMap: Type.Optional(Type.Array(StorageMapEntry)),
      },
      { additionalProperties: false },
    ),
    cutover: Type.Optional(
      Type.String({
        pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$",
        description: "warm mode: when to cut over (RFC 3339); settable and changeable while precopies run (landfall cutover vmm/NAME [--at TIME])",
      }),
    ),
    options: Type.Optional(
      Type.Object(
        {
          diskFormat: Type.Optional(DiskFormat),
          verifyChecksums: Type.Optional(Type.Boolean({ default: true })),
          verifySource: Type.Optional(Type.Union([Type.Literal("none"), Type.Literal("reread")])),
          mode: Type.Optional(Type.Union([Type.Literal("cold"), Type.Literal("snapshot"), Type.Literal("warm")], { default: "cold" })),
          precopyInterval: Type.Optional(
            Type.String({ pattern: "^[0-9]+(ms|s|m|h)$", default: "10m", description: "warm mode: time between the end of one precopy and the start of the next, e.g. 10m, 30s" }),
          ),
          restoreSourcePower: Type.Optional(Type.Boolean({ default: false })),
          concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
          guestConversion: Type.Optional(GuestConversionMode),
          bandwidthMiBps: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 100000, description: "cap on the read rate from the source, so a migration does not saturate the hypervisor" }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type VMMigrationSpec = Static<typeof VMMigrationSpec>;

export const MigrationDisk = Type.Object(
  {
    diskID: Type.String(),
    key: Type.Optional(Type.Integer()),
    label: Type.Optional(Type.String()),
    sourcePath: Type.String(),
    sizeBytes: Type.Integer(),
    bytesDone: Type.Integer(),
    sha256: Type.Optional(Type.String()),
    pool: Type.Optional(Type.String({ description: "target storage pool the disk is placed in (from spec.target.storageMap by its datastore; else the Provider's default pool)" })),
    targetPath: Type.Optional(Type.String()),
    targetFormat: Type.Optional(Type.String()),
    targetSha256: Type.Optional(Type.String()),
    convertedSha256: Type.Optional(Type.String({ description: "sha256 of the image after guest conversion, when the guest was converted" })),
    transport: Type.Optional(
      Type.Union([Type.Literal("datastore"), Type.Literal("nfc")], { description: "how the source disk's bytes were read" }),
    ),
    allocatedBytes: Type.Optional(
      Type.Integer({
        description:
          "bytes the source reports allocated (a snapshot's changed-block-tracking answer to changeId *, or the data of layers composed locally): only those are read, the rest is zeros; absent when every byte is read",
      }),
    ),
    chain: Type.Optional(
      Type.Array(
        Type.Object(
          {
            file: Type.String({ description: "source file, e.g. [ds] vm/vm-000001.vmdk" }),
            format: Type.String({ description: "VMDK createType or extent type, e.g. monolithicFlat, vmfsSparse, streamOptimized" }),
            sha256: Type.Optional(Type.String({ description: "sha256:<hex> of the file as downloaded (downloaded layers only)" })),
          },
          { additionalProperties: false },
        ),
        { description: "the source files read for this disk, top layer first" },
      ),
    ),
    checkpoint: Type.Optional(
      Type.Object(
        { offset: Type.Integer(), hashState: Type.Optional(Type.String()) },
        { additionalProperties: false, description: "resume point of an interrupted transfer" },
      ),
    ),
    state: Type.Optional(
      Type.Union([
        Type.Literal("Pending"),
        Type.Literal("Transferring"),
        Type.Literal("Transferred"),
        Type.Literal("Converted"),
        Type.Literal("Verified"),
      ]),
    ),
  },
  { additionalProperties: false },
);
export type MigrationDisk = Static<typeof MigrationDisk>;

/** A source disk as the export session names it (the SourceDisk of src/providers/contract.ts). */
export const ExportDisk = Type.Object(
  {
    key: Type.Integer(),
    label: Type.String(),
    fileName: Type.String(),
    capacityBytes: Type.Integer(),
    datastore: Type.String(),
    controller: Type.String(),
    thinProvisioned: Type.Optional(Type.Boolean()),
    changeId: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** One warm-mode copy: its snapshot (named from the migration's UID and its index) and what it moved. */
export const Precopy = Type.Object(
  {
    index: Type.Integer({ minimum: 0 }),
    snapshotName: Type.String(),
    snapshotID: Type.Optional(Type.String()),
    /** The cutover's copy, taken with the source powered off. */
    final: Type.Optional(Type.Boolean()),
    startedAt: Type.String(),
    completedAt: Type.Optional(Type.String()),
    /** Bytes read from the source (precopy 0: whole disks; later: the changed areas). */
    bytes: Type.Integer(),
    durationSeconds: Type.Optional(Type.Number()),
    disks: Type.Array(
      Type.Object(
        {
          diskID: Type.String(),
          changeId: Type.Optional(Type.String()),
          bytes: Type.Optional(Type.Integer()),
          done: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    /** This precopy's snapshot was removed (after the next precopy's copy, or at cutover). */
    snapshotRemoved: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type Precopy = Static<typeof Precopy>;

export const VMMigrationStatus = Type.Object(
  {
    ...commonStatus,
    phase: Type.Optional(VMMigrationPhase),
    disks: Type.Optional(Type.Array(MigrationDisk)),
    progress: Type.Optional(
      Type.Object(
        {
          bytesDone: Type.Integer(),
          bytesTotal: Type.Integer(),
          bytesPerSecond: Type.Optional(Type.Number()),
          etaSeconds: Type.Optional(Type.Number()),
          percent: Type.Optional(Type.Number()),
        },
        { additionalProperties: false },
      ),
    ),
    source: Type.Optional(
      Type.Object(
        {
          vmID: Type.Optional(Type.String()),
          vmName: Type.Optional(Type.String()),
          uuid: Type.Optional(Type.String()),
          powerStateBefore: Type.Optional(Type.String()),
          poweredOffByMigration: Type.Optional(Type.Boolean()),
          /** Deterministic (from the migration's UID), recorded before the snapshot is created, looked up on resume. */
          snapshotName: Type.Optional(Type.String()),
          snapshotID: Type.Optional(Type.String()),
          /** The disks the export session reads (snapshot mode: the snapshot's frozen backings), as prepareExport returned them. */
          exportDisks: Type.Optional(Type.Array(ExportDisk)),
          /** Warm mode: whether the VM tracked changed blocks before the migration (restored when it ends). */
          changeTrackingBefore: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    precopies: Type.Optional(Type.Array(Precopy, { description: "warm mode: each copy made while the VM ran, and the final one at cutover" })),
    nextPrecopyAt: Type.Optional(Type.String({ description: "warm mode: when the next precopy starts (unless the cutover comes first)" })),
    cutover: Type.Optional(
      Type.Object(
        {
          startedAt: Type.String(),
          sourceOffAt: Type.Optional(Type.String({ description: "when the source VM was found powered off" })),
        },
        { additionalProperties: false },
      ),
    ),
    downtimeSeconds: Type.Optional(Type.Number({ description: "warm mode: source powered off → target VM running" })),
    guest: Type.Optional(MigrationGuest),
    importID: Type.Optional(Type.String()),
    targetVMRef: Type.Optional(Type.Object({ name: Type.String(), namespace: Type.Optional(Type.String()) })),
    startedAt: Type.Optional(Type.String()),
    completedAt: Type.Optional(Type.String()),
    phaseHistory: Type.Optional(
      Type.Array(Type.Object({ phase: Type.String(), enteredAt: Type.String() }, { additionalProperties: false })),
    ),
  },
  { additionalProperties: false },
);
export type VMMigrationStatus = Static<typeof VMMigrationStatus>;

export const VMMigrationSchema = resourceSchema("VMMigration", {
  spec: VMMigrationSpec,
  status: Type.Optional(VMMigrationStatus),
});
export type VMMigration = Resource<VMMigrationSpec, VMMigrationStatus>;
