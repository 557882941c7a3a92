// Provider: a source or target hypervisor landfall talks to.
import { type Static, Type } from "@sinclair/typebox";
import type { StatusCause } from "./errors.ts";
import { storagePoolsCauses } from "./libvirt-pools.ts";
import { libvirtURIProblem } from "./libvirt-uri.ts";
import { commonStatus, LocalObjectReference, Name, type Resource, resourceSchema } from "./meta.ts";

export const ProviderType = Type.Union([
  Type.Literal("vsphere"),
  Type.Literal("libvirt"),
  Type.Literal("proxmox"),
  Type.Literal("kubevirt"),
]);
export type ProviderType = Static<typeof ProviderType>;

export const ProviderSpec = Type.Object(
  {
    type: ProviderType,
    endpoint: Type.Optional(Type.String({ format: "uri", description: "vSphere/Proxmox API URL, e.g. https://vcenter/sdk" })),
    uri: Type.Optional(Type.String({ minLength: 1, description: "libvirt connection URI, e.g. qemu:///system" })),
    credentialsRef: Type.Optional(LocalObjectReference),
    tls: Type.Optional(
      Type.Object(
        {
          insecureSkipVerify: Type.Optional(Type.Boolean()),
          thumbprint: Type.Optional(Type.String({ minLength: 1 })),
          caBundle: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    datacenter: Type.Optional(Type.String()),
    transport: Type.Optional(
      Type.Union([Type.Literal("datastore"), Type.Literal("nfc"), Type.Literal("auto")], {
        description: "vsphere: how disks are read — datastore file API, NFC export lease, or auto (datastore, NFC per disk where the datastore path cannot read it)",
      }),
    ),
    storagePool: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9][-A-Za-z0-9_.]*$", maxLength: 63 })),
    storagePoolPath: Type.Optional(Type.String({ pattern: "^/" })),
    allowedStoragePaths: Type.Optional(Type.Array(Type.String({ pattern: "^/" }))),
    storagePools: Type.Optional(
      Type.Array(
        Type.Object(
          { name: Type.String({ pattern: "^[A-Za-z0-9][-A-Za-z0-9_.]*$", maxLength: 63 }), path: Type.String({ pattern: "^/" }) },
          { additionalProperties: false },
        ),
        { maxItems: 32, description: "libvirt: extra dir storage pools (created when missing) that a storageMap may name; storagePool stays the default" },
      ),
    ),
    virtType: Type.Optional(
      Type.Union([Type.Literal("auto"), Type.Literal("kvm"), Type.Literal("qemu")], {
        default: "auto",
        description: "libvirt: accelerator; auto = KVM only where hardware virtualization (kvm_intel/kvm_amd) is available, TCG otherwise",
      }),
    ),
    // kubevirt: where VMs land and how disks get there.
    kubeconfigRef: Type.Optional(
      Type.Object(
        { name: Name },
        { additionalProperties: false, description: "kubevirt: Secret whose key kubeconfig holds the cluster's kubeconfig (absent: the in-cluster service account, operator mode)" },
      ),
    ),
    namespace: Type.Optional(Type.String({ description: "kubevirt: namespace VMs and DataVolumes are created in (default: the Provider's)" })),
    storageClass: Type.Optional(Type.String({ minLength: 1, description: "kubevirt: StorageClass of the DataVolumes (default: the cluster's)" })),
    diskTransfer: Type.Optional(
      Type.Literal("import", {
        default: "import",
        description: "kubevirt: import = CDI downloads each disk from landfall's HTTPS image server and verifies its sha256 (the only transfer: CDI's upload proxy checks no checksum)",
      }),
    ),
    tenants: Type.Optional(
      Type.Array(Name, { description: "namespaces whose objects may use this Provider (empty or absent: every namespace)" }),
    ),
  },
  { additionalProperties: false },
);
export type ProviderSpec = Static<typeof ProviderSpec>;

export const ProviderStatus = Type.Object(
  {
    ...commonStatus,
    inventory: Type.Optional(
      Type.Object(
        {
          vms: Type.Integer(),
          poweredOn: Type.Optional(Type.Integer()),
          lastRefreshed: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    version: Type.Optional(Type.String()),
    thumbprint: Type.Optional(Type.String({ description: "SHA-256 fingerprint the server presented" })),
    virtType: Type.Optional(Type.String({ description: "libvirt: the accelerator VMs get (kvm | qemu)" })),
    virtTypeReason: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type ProviderStatus = Static<typeof ProviderStatus>;

export const ProviderSchema = resourceSchema("Provider", {
  spec: ProviderSpec,
  status: Type.Optional(ProviderStatus),
});
export type Provider = Resource<ProviderSpec, ProviderStatus>;

/**
 * Rules of a Provider spec the schema cannot state: a libvirt URI must be one landfall allows (libvirt-uri.ts), and
 * its storage pools distinct in name and directory (libvirt-pools.ts).
 */
export function providerSpecCauses(spec: ProviderSpec): StatusCause[] {
  if (spec.type !== "libvirt") return [];
  const problem = spec.uri === undefined ? undefined : libvirtURIProblem(spec.uri);
  return [...(problem ? [{ field: "spec.uri", reason: "FieldValueForbidden", message: problem }] : []), ...storagePoolsCauses(spec)];
}
