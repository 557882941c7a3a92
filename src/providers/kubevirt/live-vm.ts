// A kubevirt.io/v1 VirtualMachine as the target contract's TargetVM, pure. Identity is the object's
// metadata.uid (never reused, unlike names); disks are the DataVolumes/PVCs its volumes name; the pod network
// is landfall's "user" network, Multus networks keep their names.
import type { TargetDisk, TargetNIC, TargetPowerState, TargetVM } from "../contract.ts";

export interface KubeVirtVM {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    runStrategy?: string;
    running?: boolean;
    template?: {
      spec?: {
        domain?: {
          cpu?: { cores?: number; sockets?: number; threads?: number };
          memory?: { guest?: string };
          resources?: { requests?: Record<string, string> };
          firmware?: { uuid?: string; bootloader?: { efi?: unknown; bios?: unknown } };
          devices?: {
            disks?: Array<{ name: string; disk?: { bus?: string }; cdrom?: unknown; bootOrder?: number }>;
            interfaces?: Array<{ name: string; macAddress?: string; model?: string }>;
          };
        };
        networks?: Array<{ name: string; pod?: unknown; multus?: { networkName: string } }>;
        volumes?: Array<{ name: string; dataVolume?: { name: string }; persistentVolumeClaim?: { claimName: string } }>;
      };
    };
  };
  status?: { printableStatus?: string };
}

const UNITS: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024, K: 1000 / 1048576, M: 1e6 / 1048576, G: 1e9 / 1048576 };

/** A Kubernetes memory quantity in MiB ("2Gi" → 2048); undefined when it is not one. */
export function quantityMiB(q: string | undefined): number | undefined {
  const m = q ? /^(\d+(?:\.\d+)?)([KMGT]i?)?$/.exec(q) : null;
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (m[2] ? (UNITS[m[2]] ?? Number.NaN) : 1 / 1048576));
}

/** The run state: what KubeVirt reports (status.printableStatus), else what the spec asks for. */
export function powerStateOf(vm: KubeVirtVM): TargetPowerState {
  const printable = vm.status?.printableStatus;
  if (printable === "Running") return "running";
  if (printable === "Paused") return "paused";
  if (printable === "Stopped" || printable === "Halted") return "shutoff";
  if (printable === "CrashLoopBackOff") return "crashed";
  if (vm.spec.runStrategy === "Halted" || vm.spec.running === false) return "shutoff";
  if (vm.spec.runStrategy === "Always" || vm.spec.running === true) return "running";
  return "unknown";
}

const BUSES = new Set(["virtio", "sata", "scsi"]);

export function targetVMOf(vm: KubeVirtVM): TargetVM {
  const t = vm.spec.template?.spec ?? {};
  const domain = t.domain ?? {};
  const volumes = new Map((t.volumes ?? []).map((v) => [v.name, v.dataVolume?.name ?? v.persistentVolumeClaim?.claimName]));
  const disks: TargetDisk[] = [];
  for (const d of [...(domain.devices?.disks ?? [])].sort((a, b) => (a.bootOrder ?? 1e9) - (b.bootOrder ?? 1e9))) {
    const volume = volumes.get(d.name);
    if (!volume) continue; // cloud-init, container disks: not disks the VM owns
    const bus = d.disk?.bus ?? "virtio";
    disks.push({ path: volume, format: "raw", bus: (BUSES.has(bus) ? bus : "virtio") as TargetDisk["bus"], ...(d.cdrom ? { readonly: true } : {}) });
  }
  const networks = new Map((t.networks ?? []).map((n) => [n.name, n.pod ? "user" : (n.multus?.networkName ?? n.name)]));
  const nics: TargetNIC[] = (domain.devices?.interfaces ?? []).map((i) => ({
    network: networks.get(i.name) ?? i.name,
    model: i.model ?? "virtio",
    ...(i.macAddress ? { macAddress: i.macAddress } : {}),
  }));
  const cpu = domain.cpu ?? {};
  return {
    uuid: vm.metadata.uid ?? "",
    name: vm.metadata.name,
    state: powerStateOf(vm),
    cpus: (cpu.cores ?? 1) * (cpu.sockets ?? 1) * (cpu.threads ?? 1),
    memoryMiB: quantityMiB(domain.memory?.guest ?? domain.resources?.requests?.memory) ?? 0,
    firmware: domain.firmware?.bootloader?.efi ? "uefi" : "bios",
    disks,
    nics,
    labels: { ...(vm.metadata.labels ?? {}) },
  };
}
