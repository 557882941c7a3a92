// libvirt domain XML, both directions, without I/O: TargetVMSpec → XML for `virsh define`, and
// `virsh dumpxml` → the TargetVM fields a controller compares against its spec. Labels live in the domain's
// <metadata> under landfall's own namespace so other tools' metadata is left alone.
import { XMLBuilder, XMLParser } from "fast-xml-parser";
import type { TargetDisk, TargetNIC, TargetVM, TargetVMSpec } from "../contract.ts";
import { LibvirtError } from "./errors.ts";

export const LABELS_NAMESPACE = "https://landfall.dev/xmlns/v1";
export const LABELS_PREFIX = "landfall";

export type DomainType = "kvm" | "qemu";

export interface DomainBuildOptions {
  /** kvm only with hardware virtualization (see accelerator.ts), else qemu (TCG). */
  domainType: DomainType;
  /** File the guest's first serial port is appended to. */
  consoleLogPath?: string;
}

/** A disk given as a pool volume: its path must be resolved through the pool (`virsh vol-path`). */
export interface VolumeSource {
  diskIndex: number;
  pool: string;
  volume: string;
}

export interface ParsedDomain {
  vm: Omit<TargetVM, "state">;
  /** Disks whose `path` is empty until the caller resolves these volumes. */
  volumes: VolumeSource[];
  /** The domain has an id, i.e. the XML is the live definition of a running or paused domain. */
  active: boolean;
}

/**
 * The default CPU model under TCG: Nehalem is the oldest named model with x86-64-v2 (SSE4.2, POPCNT, CX16),
 * which RHEL 9-family kernels require and QEMU's qemu64 lacks; QEMU 7.2 emulates all of it.
 */
export const TCG_CPU_MODEL = "Nehalem";
/** Under KVM the guest gets the host's CPU (migratable subset). */
export const KVM_CPU_MODEL = "host-model";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

type XmlNode = Record<string, unknown>;

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  format: true,
  indentBy: "  ",
  suppressEmptyNode: true,
  suppressBooleanAttributes: false,
});

/** Guest device name for the index-th disk on a bus family: vda…vdz, vdaa…; sd* for sata+scsi; hd* for ide. */
export function guestDeviceName(prefix: string, index: number): string {
  let name = "";
  let n = index;
  do {
    name = String.fromCharCode(97 + (n % 26)) + name;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return prefix + name;
}

function devicePrefix(bus: TargetDisk["bus"]): string {
  if (bus === "virtio") return "vd";
  if (bus === "ide") return "hd";
  return "sd";
}

export function validateSpec(spec: TargetVMSpec): void {
  const fail = (field: string, value: unknown, rule: string) => {
    throw new LibvirtError("InvalidArgument", `TargetVMSpec.${field} ${JSON.stringify(value)} ${rule}`);
  };
  if (!spec.name || /[/\s]/.test(spec.name)) fail("name", spec.name, "must be non-empty without '/' or spaces");
  if (spec.uuid !== undefined && !UUID_RE.test(spec.uuid)) fail("uuid", spec.uuid, "must be a UUID (8-4-4-4-12 hex)");
  if (!Number.isInteger(spec.cpus) || spec.cpus < 1) fail("cpus", spec.cpus, "must be an integer ≥ 1");
  if (!Number.isInteger(spec.memoryMiB) || spec.memoryMiB < 1) {
    fail("memoryMiB", spec.memoryMiB, "must be an integer ≥ 1");
  }
  if (spec.firmware !== "bios" && spec.firmware !== "uefi") fail("firmware", spec.firmware, "must be bios or uefi");
  if (spec.cpuModel !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(spec.cpuModel)) {
    fail("cpuModel", spec.cpuModel, "must be host-model, host-passthrough, max or a QEMU CPU model name such as Nehalem");
  }
  if (spec.machineType !== undefined && !/^[a-z0-9][a-z0-9_.-]*$/.test(spec.machineType)) {
    fail("machineType", spec.machineType, "must be a QEMU machine type such as q35 or pc");
  }
  spec.disks.forEach((disk, i) => {
    if (!disk.path.startsWith("/")) fail(`disks[${i}].path`, disk.path, "must be an absolute path");
    if (!["virtio", "sata", "scsi", "ide"].includes(disk.bus)) {
      fail(`disks[${i}].bus`, disk.bus, "must be virtio, sata, scsi or ide");
    }
    if (!/^[a-z0-9]+$/.test(disk.format)) fail(`disks[${i}].format`, disk.format, "must be a qemu format name");
  });
  spec.nics.forEach((nic, i) => {
    if (nic.macAddress !== undefined && !MAC_RE.test(nic.macAddress)) {
      fail(`nics[${i}].macAddress`, nic.macAddress, "must look like 52:54:00:12:34:56");
    }
    if (!nic.network) fail(`nics[${i}].network`, nic.network, "must name a network, or be 'user'");
  });
}

function diskNodes(disks: TargetDisk[]): XmlNode[] {
  const used = new Map<string, number>();
  return disks.map((disk) => {
    const prefix = devicePrefix(disk.bus);
    const index = used.get(prefix) ?? 0;
    used.set(prefix, index + 1);
    const node: XmlNode = {
      "@_type": "file",
      "@_device": "disk",
      driver: { "@_name": "qemu", "@_type": disk.format },
      source: { "@_file": disk.path },
      target: { "@_dev": disk.device ?? guestDeviceName(prefix, index), "@_bus": disk.bus },
    };
    if (disk.readonly) node["readonly"] = { "#text": "" };
    return node;
  });
}

/**
 * NIC network names: "user" → QEMU user-mode networking (needs no host setup); "bridge:NAME" → a host bridge;
 * anything else → the libvirt network of that name.
 */
function nicNode(nic: TargetNIC): XmlNode {
  const node: XmlNode = {};
  if (nic.network === "user") {
    node["@_type"] = "user";
  } else if (nic.network.startsWith("bridge:")) {
    node["@_type"] = "bridge";
    node["source"] = { "@_bridge": nic.network.slice("bridge:".length) };
  } else {
    node["@_type"] = "network";
    node["source"] = { "@_network": nic.network };
  }
  if (nic.macAddress) node["mac"] = { "@_address": nic.macAddress.toLowerCase() };
  node["model"] = { "@_type": nic.model || "virtio" };
  return node;
}

function labelsNode(labels: Record<string, string>, prefix: string): XmlNode {
  const label = Object.keys(labels)
    .sort()
    .map((key) => ({ "@_key": key, "@_value": labels[key] }));
  const node: XmlNode = { [prefix ? `${prefix}:label` : "label"]: label };
  if (prefix) node[`@_xmlns:${prefix}`] = LABELS_NAMESPACE;
  return node;
}

/** The <labels> element as `virsh metadata --set` takes it: unprefixed, virsh binds namespace and prefix. */
export function labelsElementXML(labels: Record<string, string>): string {
  return String(builder.build({ labels: labelsNode(labels, "") })).trim();
}

/** <cpu>: the model asked for, else host-model under KVM and the x86-64-v2 baseline under TCG. */
export function cpuNode(cpuModel: string | undefined, domainType: DomainType): XmlNode {
  const model = cpuModel ?? (domainType === "kvm" ? KVM_CPU_MODEL : TCG_CPU_MODEL);
  if (model === "host-model" || model === "host-passthrough") return { "@_mode": model };
  if (model === "max" || model === "maximum") return { "@_mode": "maximum" };
  return { "@_mode": "custom", "@_match": "exact", "@_check": "partial", model: { "@_fallback": "forbid", "#text": model } };
}

export function buildDomainXML(spec: TargetVMSpec, options: DomainBuildOptions): string {
  validateSpec(spec);
  const type: XmlNode = { "@_arch": "x86_64", "#text": "hvm" };
  if (spec.machineType) type["@_machine"] = spec.machineType;
  const os: XmlNode = { type, boot: { "@_dev": "hd" } };
  if (spec.firmware === "uefi") {
    os["@_firmware"] = "efi";
    // Without this libvirt may pick an OVMF build with Secure Boot and Microsoft's keys enrolled (Debian ships
    // both), which refuses unsigned bootloaders migrated Linux guests often carry; VMware's default is off too.
    os["firmware"] = { feature: [{ "@_enabled": "no", "@_name": "secure-boot" }] };
  }

  const devices: XmlNode = { disk: diskNodes(spec.disks) };
  if (spec.disks.some((d) => d.bus === "scsi")) {
    devices["controller"] = [{ "@_type": "scsi", "@_index": "0", "@_model": "virtio-scsi" }];
  }
  devices["interface"] = spec.nics.map(nicNode);
  // The guest agent's channel (qemu-guest-agent starts when this port appears) and an entropy source, so a
  // guest neither waits for randomness at boot nor stays a black box.
  devices["channel"] = [{ "@_type": "unix", target: { "@_type": "virtio", "@_name": "org.qemu.guest_agent.0" } }];
  devices["rng"] = [{ "@_model": "virtio", backend: { "@_model": "random", "#text": "/dev/urandom" } }];
  if (options.consoleLogPath) {
    const source = { "@_path": options.consoleLogPath, "@_append": "on" };
    devices["serial"] = [{ "@_type": "file", source, target: { "@_port": "0" } }];
    devices["console"] = [{ "@_type": "file", source, target: { "@_type": "serial", "@_port": "0" } }];
  }

  const domain: XmlNode = { "@_type": options.domainType, name: spec.name };
  if (spec.uuid) domain["uuid"] = spec.uuid.toLowerCase();
  if (spec.description) domain["description"] = spec.description;
  domain["metadata"] = { [`${LABELS_PREFIX}:labels`]: labelsNode(spec.labels ?? {}, LABELS_PREFIX) };
  domain["memory"] = { "@_unit": "MiB", "#text": String(spec.memoryMiB) };
  domain["vcpu"] = String(spec.cpus);
  domain["os"] = os;
  domain["features"] = { acpi: { "#text": "" }, apic: { "#text": "" } };
  domain["cpu"] = cpuNode(spec.cpuModel, options.domainType);
  domain["clock"] = { "@_offset": "utc" };
  domain["on_poweroff"] = "destroy";
  domain["on_reboot"] = "restart";
  domain["on_crash"] = "destroy";
  domain["devices"] = devices;

  return String(builder.build({ domain }));
}

// ---------------------------------------------------------------------------------------------- parsing

const ARRAY_PATHS = new Set([
  "domain.devices.disk",
  "domain.devices.interface",
  "domain.devices.serial",
  "domain.devices.console",
  "domain.devices.controller",
  "domain.os.boot",
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  parseTagValue: false,
  parseAttributeValue: false,
  allowBooleanAttributes: true,
  isArray: (name, jpath) => {
    const path = String(jpath);
    if (ARRAY_PATHS.has(path)) return true;
    // Any <PREFIX:label> inside <metadata>: the prefix is whatever the writer chose.
    return path.startsWith("domain.metadata.") && (name === "label" || name.endsWith(":label"));
  },
});

function asNode(value: unknown): XmlNode {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as XmlNode) : {};
}

function text(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "object") return String((value as XmlNode)["#text"] ?? "");
  return String(value);
}

function attr(node: unknown, name: string): string | undefined {
  const value = asNode(node)[`@_${name}`];
  return value === undefined ? undefined : String(value);
}

const UNIT_BYTES: Record<string, number> = {
  b: 1,
  bytes: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
};

/** libvirt's <memory> value in MiB; the unit defaults to KiB as in libvirt. */
export function memoryMiBFrom(node: unknown): number {
  const unit = (attr(node, "unit") ?? "KiB").toLowerCase();
  const factor = UNIT_BYTES[unit];
  if (factor === undefined) throw new LibvirtError("InvalidArgument", `domain <memory unit="${unit}"> is not a known unit`);
  return Math.round((Number(text(node)) * factor) / 1024 ** 2);
}

function firmwareFrom(os: XmlNode): "bios" | "uefi" {
  if (attr(os, "firmware") === "efi") return "uefi";
  const loader = os["loader"];
  if (loader !== undefined && (attr(loader, "type") === "pflash" || /ovmf|efi/i.test(text(loader)))) return "uefi";
  return "bios";
}

function nicFrom(node: XmlNode): TargetNIC {
  const type = attr(node, "type") ?? "";
  const source = node["source"];
  let network: string;
  if (type === "user") network = "user";
  else if (type === "network") network = attr(source, "network") ?? "";
  else if (type === "bridge") network = `bridge:${attr(source, "bridge") ?? ""}`;
  else network = `${type}:${attr(source, "dev") ?? ""}`;
  const nic: TargetNIC = { network, model: attr(node["model"], "type") ?? "" };
  const mac = attr(node["mac"], "address");
  if (mac) nic.macAddress = mac;
  return nic;
}

/** Labels from our namespace in <metadata>, whatever prefix the writer bound to it. */
export function labelsFrom(metadata: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [tag, value] of Object.entries(asNode(metadata))) {
    const [prefix, local] = tag.includes(":") ? tag.split(":", 2) : ["", tag];
    if (local !== "labels") continue;
    const element = asNode(value);
    const ns = prefix ? element[`@_xmlns:${prefix}`] : element["@_xmlns"];
    if (ns !== LABELS_NAMESPACE) continue;
    const items = element[prefix ? `${prefix}:label` : "label"];
    for (const item of Array.isArray(items) ? items : []) {
      const key = attr(item, "key");
      if (key !== undefined) labels[key] = attr(item, "value") ?? "";
    }
  }
  return labels;
}

export function parseDomainXML(xml: string): ParsedDomain {
  const root = asNode(parser.parse(xml));
  const domain = asNode(root["domain"]);
  if (!root["domain"]) throw new LibvirtError("InvalidArgument", "domain XML has no <domain> root element");
  const devices = asNode(domain["devices"]);
  const disks: TargetDisk[] = [];
  const volumes: VolumeSource[] = [];
  for (const raw of (devices["disk"] as unknown[] | undefined) ?? []) {
    const node = asNode(raw);
    if ((attr(node, "device") ?? "disk") !== "disk") continue;
    const source = node["source"];
    const disk: TargetDisk = {
      path: attr(source, "file") ?? attr(source, "dev") ?? "",
      format: attr(node["driver"], "type") ?? "raw",
      bus: (attr(node["target"], "bus") ?? "virtio") as TargetDisk["bus"],
    };
    const dev = attr(node["target"], "dev");
    if (dev) disk.device = dev;
    if ("readonly" in node) disk.readonly = true;
    const pool = attr(source, "pool");
    const volume = attr(source, "volume");
    if (attr(node, "type") === "volume" && pool && volume) volumes.push({ diskIndex: disks.length, pool, volume });
    disks.push(disk);
  }
  const nics = ((devices["interface"] as unknown[] | undefined) ?? []).map((n) => nicFrom(asNode(n)));
  const serial = ((devices["serial"] as unknown[] | undefined) ?? []).map(asNode).find((s) => attr(s, "type") === "file");

  const vm: Omit<TargetVM, "state"> = {
    uuid: text(domain["uuid"]),
    name: text(domain["name"]),
    cpus: Number(text(domain["vcpu"])),
    memoryMiB: memoryMiBFrom(domain["memory"]),
    firmware: firmwareFrom(asNode(domain["os"])),
    disks,
    nics,
    labels: labelsFrom(domain["metadata"]),
  };
  const consoleLog = attr(serial?.["source"], "path");
  if (consoleLog) vm.consoleLog = consoleLog;
  const id = attr(domain, "id");
  return { vm, volumes, active: id !== undefined && id !== "-1" };
}
