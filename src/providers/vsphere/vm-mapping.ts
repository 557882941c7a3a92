// VirtualMachine properties (as the PropertyCollector returns them) → landfall's SourceVM. Pure.
import type { SourceDisk, SourceNIC, SourcePowerState, SourceVM } from "../contract.ts";
import { parseDatastorePath } from "./datastore-path.ts";
import { asArray, bool, num, text, type XmlNode, xsiType } from "./soap-xml.ts";

/** The properties listVMs/getVM retrieve; mapVM reads exactly these. */
export const VM_PROPERTIES = [
  "name",
  "config.uuid",
  "config.guestId",
  "config.template",
  "config.firmware",
  "config.hardware.numCPU",
  "config.hardware.memoryMB",
  "config.hardware.device",
  "runtime.powerState",
];

const CONTROLLER_KINDS: Record<string, string> = {
  ParaVirtualSCSIController: "scsi",
  VirtualLsiLogicController: "scsi",
  VirtualLsiLogicSASController: "scsi",
  VirtualBusLogicController: "scsi",
  VirtualSCSIController: "scsi",
  VirtualAHCIController: "sata",
  VirtualSATAController: "sata",
  VirtualIDEController: "ide",
  VirtualNVMEController: "nvme",
};

const NIC_MODELS: Record<string, string> = {
  VirtualVmxnet3: "vmxnet3",
  VirtualVmxnet3Vrdma: "vmxnet3",
  VirtualVmxnet2: "vmxnet2",
  VirtualVmxnet: "vmxnet",
  VirtualE1000: "e1000",
  VirtualE1000e: "e1000e",
  VirtualPCNet32: "pcnet32",
  VirtualSriovEthernetCard: "sriov",
};

/** Device nodes of a `config.hardware.device` value (an ArrayOfVirtualDevice). */
export function devicesOf(deviceArray: XmlNode): XmlNode[] {
  return asArray(deviceArray?.VirtualDevice);
}

/** Disks in device order; `capacityInBytes` falls back to `capacityInKB * 1024` (vcsim fills only the latter). */
export function disksOf(devices: XmlNode[]): SourceDisk[] {
  const controllers = new Map<number, string>();
  for (const d of devices) {
    const kind = CONTROLLER_KINDS[xsiType(d)];
    if (kind) controllers.set(num(d.key), kind);
  }
  return devices
    .filter((d) => xsiType(d) === "VirtualDisk")
    .map((d) => {
      const fileName = text(d.backing?.fileName);
      const bytes = num(d.capacityInBytes);
      const disk: SourceDisk = {
        key: num(d.key),
        label: text(d.deviceInfo?.label),
        fileName,
        capacityBytes: bytes > 0 ? bytes : num(d.capacityInKB) * 1024,
        datastore: fileName ? parseDatastorePath(fileName).datastore : "",
        controller: controllers.get(num(d.controllerKey)) ?? "unknown",
      };
      if (d.backing?.thinProvisioned !== undefined) disk.thinProvisioned = bool(d.backing.thinProvisioned);
      return disk;
    });
}

/** Names of networks a NIC backing refers to by key (distributed portgroups), resolved by the caller. */
export function nicsOf(devices: XmlNode[], portgroupNames: ReadonlyMap<string, string> = new Map()): SourceNIC[] {
  return devices
    .filter((d) => NIC_MODELS[xsiType(d)] !== undefined)
    .map((d) => ({
      network: networkOf(d.backing, portgroupNames),
      macAddress: text(d.macAddress).toLowerCase(),
      model: NIC_MODELS[xsiType(d)],
    }));
}

function networkOf(backing: XmlNode, portgroupNames: ReadonlyMap<string, string>): string {
  switch (xsiType(backing)) {
    case "VirtualEthernetCardNetworkBackingInfo":
      return text(backing.deviceName);
    case "VirtualEthernetCardDistributedVirtualPortBackingInfo": {
      const key = text(backing.port?.portgroupKey);
      return portgroupNames.get(key) ?? key;
    }
    case "VirtualEthernetCardOpaqueNetworkBackingInfo":
      return text(backing.opaqueNetworkId);
    default:
      return "";
  }
}

/** Portgroup keys NIC backings refer to, so the caller can look their names up. */
export function portgroupKeysOf(devices: XmlNode[]): string[] {
  return devices
    .filter((d) => xsiType(d.backing) === "VirtualEthernetCardDistributedVirtualPortBackingInfo")
    .map((d) => text(d.backing.port?.portgroupKey));
}

export function powerStateOf(node: XmlNode): SourcePowerState {
  const s = text(node);
  return s === "poweredOn" || s === "suspended" ? s : "poweredOff";
}

export function isTemplate(props: Record<string, XmlNode>): boolean {
  return bool(props["config.template"]);
}

export function mapVM(id: string, props: Record<string, XmlNode>, portgroupNames?: ReadonlyMap<string, string>): SourceVM {
  const devices = devicesOf(props["config.hardware.device"]);
  return {
    name: text(props.name),
    id,
    uuid: text(props["config.uuid"]),
    powerState: powerStateOf(props["runtime.powerState"]),
    guestOS: text(props["config.guestId"]),
    cpus: num(props["config.hardware.numCPU"]),
    memoryMiB: num(props["config.hardware.memoryMB"]),
    firmware: text(props["config.firmware"]) === "efi" ? "uefi" : "bios",
    disks: disksOf(devices),
    nics: nicsOf(devices, portgroupNames),
  };
}
