// VMImage: a base image VirtualMachines are built from (imageRef), as copy-on-write overlays.
import { type Static, Type } from "@sinclair/typebox";
import { commonStatus, ProviderReference, type Resource, resourceSchema } from "./meta.ts";
import { DiskFormat } from "./virtualmachine.ts";

export const VMImageSpec = Type.Object(
  {
    providerRef: ProviderReference,
    path: Type.String({ pattern: "^/", description: "image file inside the provider's storage" }),
    format: Type.Optional(DiskFormat),
    osType: Type.Optional(Type.String()),
    firmware: Type.Optional(Type.Union([Type.Literal("bios"), Type.Literal("uefi")])),
  },
  { additionalProperties: false },
);
export type VMImageSpec = Static<typeof VMImageSpec>;

export const VMImageStatus = Type.Object(
  {
    ...commonStatus,
    sizeBytes: Type.Optional(Type.Integer()),
    virtualSizeBytes: Type.Optional(Type.Integer()),
    checksum: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type VMImageStatus = Static<typeof VMImageStatus>;

export const VMImageSchema = resourceSchema("VMImage", { spec: VMImageSpec, status: Type.Optional(VMImageStatus) });
export type VMImage = Resource<VMImageSpec, VMImageStatus>;
