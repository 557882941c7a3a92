// Maps a landfall VirtualMachine (and the live VM's facts, which win where they differ) onto the values of
// Cozystack's vm-instance chart (vm-import branch, commit e3cb1114a; schema copy in test/fixtures/cozystack/).
// Every value is chosen so that a helm install over the existing KubeVirt VM renders that same VM:
// - fullnameOverride = the VM's name: the release is `vm-instance-<name>`, so without it the chart would render a
//   second VM named `vm-instance-<name>`. It also keeps the kube-ovn IP object `<name>.<namespace>`, which is where
//   the chart takes the pod-network MAC and IP from.
// - instanceType/instanceProfile are written as "" when not known: leaving them out lets the chart's defaults
//   (u1.medium, ubuntu) apply, and its update hook would then resize the VM to that instance type.
// - cloudInitSeed "" makes the chart keep the firmware UUID it finds on the live VM, so cloud-init does not re-run.
// - external/sshKeys/cloudInit are left out: adopting must not add a Service, credentials or user data.
import { targetNameFor } from "../api/conventions.ts";
import type { VirtualMachine } from "../api/virtualmachine.ts";
import type { TargetDisk, TargetVM } from "../providers/contract.ts";

export interface VMInstanceDisk {
  name: string;
  bus?: string;
  /** The existing DataVolume/PVC (vm-import branch); without it the chart looks for `vm-disk-<name>`. */
  dvName?: string;
}

export interface VMInstanceValues {
  fullnameOverride: string;
  runStrategy: "Always" | "Halted";
  instanceType: string;
  instanceProfile: string;
  resources?: { cpu: number; sockets: number; memory: string };
  disks: VMInstanceDisk[];
  networks: Array<{ name: string }>;
  cloudInitSeed: string;
}

/** A disk that does not exist in the cluster yet: rendered as a VMDisk named `name` (DataVolume `vm-disk-<name>`). */
export interface DiskToCreate {
  name: string;
  diskID: string;
  sizeBytes?: number;
}

export interface ValuesInput {
  vm: VirtualMachine;
  live?: TargetVM;
  /** diskID → name of a DataVolume/PVC that already holds the disk in the target namespace. */
  existingVolumes?: Record<string, string>;
  /** diskID → guest-visible size, for disks that must be created (else sizeGiB from the spec). */
  diskSizes?: Record<string, number>;
  instanceType?: string;
  instanceProfile?: string;
}

export interface ValuesResult {
  values: VMInstanceValues;
  disksToCreate: DiskToCreate[];
  warnings: string[];
}

/** landfall's name for QEMU user-mode networking; on KubeVirt that is the pod network the chart always adds. */
const POD_NETWORK = "user";

/** diskIDs of a live KubeVirt VM whose disk paths are the names of their DataVolumes/PVCs. */
export function volumesOfLiveKubeVirtVM(live: TargetVM): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of live.disks) {
    const volume = d.path.split("/").pop() ?? d.path;
    out[volume] = volume;
  }
  return out;
}

interface SpecDisk {
  diskID: string;
  path?: string;
  sizeGiB?: number;
}

function specDisks(vm: VirtualMachine): SpecDisk[] {
  const boot = vm.spec.importedDisk;
  if (!boot) throw new Error(`VirtualMachine "${vm.metadata.name}" has no spec.importedDisk; only VMs with imported disks can be rendered for Cozystack`);
  return [boot, ...(vm.spec.dataDisks ?? [])];
}

function liveDiskFor(live: TargetVM | undefined, disk: SpecDisk): TargetDisk | undefined {
  if (!live) return undefined;
  return live.disks.find((d) => (disk.path && d.path === disk.path) || (d.path.split("/").pop() ?? "").startsWith(disk.diskID));
}

export function vmInstanceValues(input: ValuesInput): ValuesResult {
  const { vm, live } = input;
  const name = vm.metadata.name;
  const warnings: string[] = [];
  const disks: VMInstanceDisk[] = [];
  const disksToCreate: DiskToCreate[] = [];
  specDisks(vm).forEach((disk, i) => {
    const bus = liveDiskFor(live, disk)?.bus ?? vm.spec.diskBus ?? "virtio";
    const volume = input.existingVolumes?.[disk.diskID];
    if (volume) {
      disks.push({ name: `${targetNameFor(name).slice(0, 40)}-disk${i}`.replace(/-+/g, "-"), dvName: volume, bus });
      return;
    }
    const vmdisk = `${targetNameFor(name).slice(0, 40)}-${targetNameFor(disk.diskID)}`.slice(0, 55).replace(/-+$/, "");
    const sizeBytes = input.diskSizes?.[disk.diskID] ?? (disk.sizeGiB ? disk.sizeGiB * 2 ** 30 : undefined);
    disks.push({ name: vmdisk, bus });
    disksToCreate.push({ name: vmdisk, diskID: disk.diskID, ...(sizeBytes ? { sizeBytes } : {}) });
  });
  const cpus = live?.cpus ?? vm.spec.cpus ?? 1;
  const memoryMiB = live?.memoryMiB ?? vm.spec.memoryMiB ?? 1024;
  const instanceType = input.instanceType ?? "";
  const nics = live?.nics.map((n) => ({ name: n.network, macAddress: n.macAddress })) ?? vm.spec.networks ?? [];
  for (const n of nics) {
    if (n.name !== POD_NETWORK && n.macAddress) {
      warnings.push(`NIC ${n.macAddress} on "${n.name}": vm-instance values have no MAC field; the Multus interface gets a new MAC unless the network pins it`);
    }
  }
  if ((live?.firmware ?? vm.spec.firmware) === "uefi" && !input.instanceProfile) {
    warnings.push("firmware is UEFI: the chart sets the bootloader only through instanceProfile; pass a UEFI preference");
  }
  const running = live ? live.state === "running" || live.state === "paused" : vm.spec.powerState !== "Off";
  const values: VMInstanceValues = {
    fullnameOverride: name,
    runStrategy: running ? "Always" : "Halted",
    instanceType,
    instanceProfile: input.instanceProfile ?? "",
    // The chart needs cpu, sockets and memory together when no instance type sizes the VM.
    ...(instanceType ? {} : { resources: { cpu: cpus, sockets: 1, memory: `${memoryMiB}Mi` } }),
    disks,
    networks: nics.filter((n) => n.name !== POD_NETWORK).map((n) => ({ name: n.name })),
    cloudInitSeed: "",
  };
  return { values, disksToCreate, warnings };
}
