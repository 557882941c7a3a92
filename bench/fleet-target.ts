// Test-only (benchmarks): a target provider that reports a fleet of N domains, each claimed by one Forklift
// Plan with adoption enabled, and remembers the labels adoption writes. Never part of the production
// composition: bench/control-plane.ts passes it to ProviderClients as the factory for its Provider's type.
// The domains' disk files do not exist, so adoption's storage check passes them without opening an image
// (qemu-img per disk is not part of what this measures) and their sizes are reported as not measured.
import type { ForkliftPlan, TargetProvider, TargetVM } from "../src/providers/contract.ts";
import { FORKLIFT_LABELS } from "../src/controllers/adoption/decide.ts";

export const FLEET_PLAN = "fleet-plan";

export interface FleetTarget extends TargetProvider {
  /** Labels set per domain UUID so far. */
  readonly labelled: Map<string, Record<string, string>>;
}

const uuidOf = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;

export function fleetTarget(count: number, poolPath: string, planNamespace: string): FleetTarget {
  const labelled = new Map<string, Record<string, string>>();
  const vms: TargetVM[] = Array.from({ length: count }, (_, i) => {
    const name = `dom-${String(i).padStart(5, "0")}`;
    return {
      uuid: uuidOf(i),
      name,
      state: "running",
      cpus: 2,
      memoryMiB: 2048,
      firmware: "bios",
      disks: [{ path: `${poolPath}/${name}.qcow2`, format: "qcow2", bus: "virtio", device: "vda" }],
      nics: [{ network: "default", model: "virtio", macAddress: `52:54:00:${[i >> 16, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, "0")).join(":")}` }],
      labels: { [FORKLIFT_LABELS.planName]: FLEET_PLAN, [FORKLIFT_LABELS.vmName]: name },
    };
  });
  const plan: ForkliftPlan = {
    metadata: { name: FLEET_PLAN, namespace: planNamespace, annotations: { "vm-import.cozystack.io/adoption-enabled": "true" } },
    spec: { targetNamespace: planNamespace, vms: vms.map((v) => ({ name: v.name })) },
  };
  const unsupported = (what: string) => () => Promise.reject(new Error(`fleet target (bench only): ${what} is not supported`));
  return {
    type: "libvirt",
    labelled,
    listForkliftPlans: async () => [plan],
    check: async () => ({ ok: true, message: "fleet target" }) as never,
    ensureStorage: async () => ({ pool: "fleet", path: poolPath, availableBytes: 2 ** 40 }),
    importDisk: unsupported("importDisk"),
    verifyVolume: unsupported("verifyVolume"),
    createOverlay: unsupported("createOverlay"),
    growDisk: unsupported("growDisk"),
    deleteDisk: unsupported("deleteDisk"),
    createVM: unsupported("createVM"),
    getVM: async (ref) => vms.find((v) => v.uuid === ref.uuid || v.name === ref.name),
    listVMs: async () => vms.map((v) => ({ ...v, labels: { ...v.labels, ...labelled.get(v.uuid) } })),
    countVMs: async () => ({ vms: vms.length, running: vms.filter((v) => v.state === "running").length }),
    setPower: unsupported("setPower"),
    setResources: unsupported("setResources"),
    async setLabels(uuid, labels) {
      const merged = { ...labelled.get(uuid) };
      for (const [k, v] of Object.entries(labels)) {
        if (v === null) delete merged[k];
        else merged[k] = v;
      }
      labelled.set(uuid, merged);
    },
    deleteVM: unsupported("deleteVM"),
    close: async () => undefined,
  };
}
