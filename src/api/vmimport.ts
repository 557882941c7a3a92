// VMImport: a plan of many VMs with network/storage maps. Owns one VMMigration per VM; its cleanup removes
// only those temporary objects — never Providers, VirtualMachines or disks.
import { type Static, Type } from "@sinclair/typebox";
import { commonStatus, ProviderReference, Name, type Resource, resourceSchema } from "./meta.ts";
import { NetworkMapEntry, StorageMapEntry } from "./vmmigration.ts";
import { DiskFormat } from "./virtualmachine.ts";

export const VMImportSpec = Type.Object(
  {
    source: Type.Object({ providerRef: ProviderReference }, { additionalProperties: false }),
    vms: Type.Array(
      Type.Object(
        {
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
          id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
          targetName: Type.Optional(Name),
        },
        { additionalProperties: false, anyOf: [{ required: ["name"] }, { required: ["id"] }] },
      ),
      { minItems: 1, maxItems: 500 },
    ),
    target: Type.Object(
      { providerRef: ProviderReference, namespace: Type.Optional(Name), powerOn: Type.Optional(Type.Boolean()) },
      { additionalProperties: false },
    ),
    networkMap: Type.Optional(Type.Array(NetworkMapEntry)),
    storageMap: Type.Optional(Type.Array(StorageMapEntry)),
    adoption: Type.Optional(Type.Object({ enabled: Type.Optional(Type.Boolean({ default: true })) }, { additionalProperties: false })),
    cleanup: Type.Optional(
      Type.Object({ deleteMigrationsOnSuccess: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false }),
    ),
    options: Type.Optional(
      Type.Object(
        {
          diskFormat: Type.Optional(DiskFormat),
          maxConcurrent: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 20, default: 2, description: "VMs migrated at once (their disk transfers still share the server's --max-transfers slots)" }),
          ),
          failFast: Type.Optional(
            Type.Boolean({ default: false, description: "after the first failed VM start no further ones (those running finish); default: the others go on" }),
          ),
          mode: Type.Optional(Type.Union([Type.Literal("cold"), Type.Literal("snapshot")])),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type VMImportSpec = Static<typeof VMImportSpec>;

export const VMImportPhase = Type.Union([
  Type.Literal("Pending"),
  Type.Literal("Validating"),
  Type.Literal("Running"),
  Type.Literal("Succeeded"),
  Type.Literal("PartiallySucceeded"),
  Type.Literal("Failed"),
]);
export type VMImportPhase = Static<typeof VMImportPhase>;

export const VMImportStatus = Type.Object(
  {
    ...commonStatus,
    phase: Type.Optional(VMImportPhase),
    vms: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String(),
            id: Type.Optional(Type.String()),
            targetName: Type.String(),
            migration: Type.Optional(Type.String()),
            phase: Type.Optional(Type.String()),
            bytesDone: Type.Optional(Type.Integer()),
            bytesTotal: Type.Optional(Type.Integer()),
            message: Type.Optional(Type.String()),
            adopted: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    progress: Type.Optional(
      Type.Object(
        {
          total: Type.Integer(),
          succeeded: Type.Integer(),
          failed: Type.Integer(),
          running: Type.Integer(),
          pending: Type.Optional(Type.Integer({ description: "VMs whose migration has not started (or waits in Pending)" })),
          skipped: Type.Optional(Type.Integer({ description: "VMs never started because options.failFast saw a failure" })),
          bytesDone: Type.Optional(Type.Integer()),
          bytesTotal: Type.Optional(Type.Integer()),
        },
        { additionalProperties: false },
      ),
    ),
    startedAt: Type.Optional(Type.String()),
    completedAt: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type VMImportStatus = Static<typeof VMImportStatus>;

export const VMImportSchema = resourceSchema("VMImport", { spec: VMImportSpec, status: Type.Optional(VMImportStatus) });
export type VMImport = Resource<VMImportSpec, VMImportStatus>;
