// KubeVirt and CDI manifests for a VM landing on a cluster, pure: each disk a cdi.kubevirt.io/v1beta1
// DataVolume (imported over HTTPS from landfall with the verified image's sha256, which CDI checks, or waiting
// for an upload through the CDI upload proxy), the VM a kubevirt.io/v1 VirtualMachine with the source's
// devices, MACs, firmware and SMBIOS UUID, networks from the network map, power as runStrategy, and the
// provenance annotations. Checked against KubeVirt's and CDI's published OpenAPI (test/fixtures/openapi/).
import type { TargetDisk, TargetNIC, TargetVMSpec } from "../contract.ts";

export const KUBEVIRT_API = "kubevirt.io/v1";
export const CDI_API = "cdi.kubevirt.io/v1beta1";

export type RunStrategy = "Always" | "Halted";

export type DiskSource =
  /** CDI downloads the image from landfall and verifies it against `checksum` ("sha256:<hex>"). */
  | { type: "http"; url: string; checksum: string; certConfigMap?: string }
  /** The DataVolume waits for the bytes through the CDI upload proxy (virtctl image-upload, or landfall). */
  | { type: "upload" };

export interface DataVolumeInput {
  name: string;
  namespace: string;
  sizeBytes: number;
  source: DiskSource;
  storageClass?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface KubeObjectManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

const GiB = 2 ** 30;

/** Kubernetes quantity for a byte count: whole GiB as "NGi", anything else exact in bytes. */
export function quantity(bytes: number): string {
  return bytes % GiB === 0 ? `${bytes / GiB}Gi` : String(bytes);
}

export function dataVolumeManifest(input: DataVolumeInput): KubeObjectManifest {
  const { source } = input;
  return {
    apiVersion: CDI_API,
    kind: "DataVolume",
    metadata: {
      name: input.name,
      namespace: input.namespace,
      ...(input.labels ? { labels: input.labels } : {}),
      ...(input.annotations ? { annotations: input.annotations } : {}),
    },
    spec: {
      source:
        source.type === "http"
          ? { http: { url: source.url, checksum: source.checksum, ...(source.certConfigMap ? { certConfigMap: source.certConfigMap } : {}) } }
          : { upload: {} },
      storage: {
        resources: { requests: { storage: quantity(input.sizeBytes) } },
        ...(input.storageClass ? { storageClassName: input.storageClass } : {}),
      },
    },
  };
}

/** Where a NIC's network goes on the cluster: `user`/`pod` → the pod network, anything else a Multus network. */
export function networkFor(nic: TargetNIC, index: number): { network: Record<string, unknown>; iface: Record<string, unknown> } {
  const name = `nic${index}`;
  const model = nic.model === "e1000" || nic.model === "e1000e" || nic.model === "rtl8139" ? nic.model : "virtio";
  const mac = nic.macAddress ? { macAddress: nic.macAddress.toLowerCase() } : {};
  if (nic.network === "user" || nic.network === "pod") return { network: { name, pod: {} }, iface: { name, model, masquerade: {}, ...mac } };
  return { network: { name, multus: { networkName: nic.network } }, iface: { name, model, bridge: {}, ...mac } };
}

function diskDevice(disk: TargetDisk, index: number): Record<string, unknown> {
  // KubeVirt's disk buses: virtio, sata, scsi (no IDE on q35).
  const bus = disk.bus === "ide" ? "sata" : disk.bus;
  return { name: `disk${index}`, ...(index === 0 ? { bootOrder: 1 } : {}), disk: { bus } };
}

export interface VirtualMachineInput {
  spec: TargetVMSpec;
  namespace: string;
  /** DataVolume names, in the order of spec.disks. */
  dataVolumes: string[];
  runStrategy: RunStrategy;
  annotations?: Record<string, string>;
}

export function virtualMachineManifest(input: VirtualMachineInput): KubeObjectManifest {
  const { spec } = input;
  if (input.dataVolumes.length !== spec.disks.length) {
    throw new Error(`VM "${spec.name}": ${spec.disks.length} disks but ${input.dataVolumes.length} DataVolumes; each disk needs its DataVolume`);
  }
  const nets = spec.nics.map(networkFor);
  const labels = { ...(spec.labels ?? {}) };
  return {
    apiVersion: KUBEVIRT_API,
    kind: "VirtualMachine",
    metadata: {
      name: spec.name,
      namespace: input.namespace,
      ...(Object.keys(labels).length ? { labels } : {}),
      ...(input.annotations && Object.keys(input.annotations).length ? { annotations: input.annotations } : {}),
    },
    spec: {
      runStrategy: input.runStrategy,
      template: {
        metadata: { labels: { "kubevirt.io/vm": spec.name } },
        spec: {
          domain: {
            cpu: { cores: spec.cpus, sockets: 1, threads: 1 },
            memory: { guest: `${spec.memoryMiB}Mi` },
            firmware: {
              ...(spec.uuid ? { uuid: spec.uuid } : {}),
              bootloader: spec.firmware === "uefi" ? { efi: { secureBoot: false } } : { bios: {} },
            },
            devices: {
              disks: spec.disks.map(diskDevice),
              interfaces: nets.map((n) => n.iface),
            },
          },
          networks: nets.map((n) => n.network),
          volumes: input.dataVolumes.map((dv, i) => ({ name: `disk${i}`, dataVolume: { name: dv } })),
        },
      },
    },
  };
}
