// The KubeVirt target provider: the target contract over a cluster's API (kubevirt.io/v1 VirtualMachines,
// cdi.kubevirt.io/v1beta1 DataVolumes) with @kubernetes/client-node. Disks are imported by CDI from landfall's
// image server (the file and its sha256, which CDI verifies); power is the VM's runStrategy; labels are the
// VM's labels. What a cluster cannot do the libvirt way (overlays on a base image, growing or rebooting in
// place) is refused with a message saying what to do instead.
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { type Conventions, keys } from "../../api/conventions.ts";
import { isApiError } from "../../api/errors.ts";
import { plainJson, toApiError } from "../../api/kube-wire.ts";
import type { ForkliftPlan, ImportDiskRequest, ImportedVolume, ProviderHealth, TargetProvider, TargetStorage, TargetVM, TargetVMSpec } from "../contract.ts";
import type { PublishedImage } from "./image-server.ts";
import { type KubeVirtVM, targetVMOf } from "./live-vm.ts";
import { dataVolumeManifest, type KubeObjectManifest, virtualMachineManifest } from "./manifests.ts";

export interface KubeVirtTargetOptions {
  kubeConfig: KubeConfig;
  /** Annotation prefix (landfall.dev, or cozystack.io with that preset). */
  conventions: Pick<Conventions, "prefix">;
  /** Namespace VMs and DataVolumes are created in. */
  namespace: string;
  storageClass?: string;
  /** Disk imports (absent: this target only manages VMs, e.g. for adoption) — the image server and hashing. */
  imports?: DiskImports;
}

export interface DiskImports {
  /** Makes a local image downloadable by CDI (the image server), with the sha256 of its bytes. */
  publish: (path: string, fileSha256Hex: string) => PublishedImage;
  /** ConfigMap holding the CA of the image server's certificate, for the DataVolumes' certConfigMap. */
  certConfigMap?: string;
  /** sha256 (hex) of a file's bytes as stored: what CDI downloads and checks. */
  fileSha256: (path: string) => Promise<string>;
  /** Guest-visible size of an image. */
  virtualSize: (path: string, format: string) => Promise<number>;
}

export class KubeVirtError extends Error {
  readonly code: "NotFound" | "AlreadyExists" | "NotSupported";
  constructor(code: KubeVirtError["code"], message: string) {
    super(message);
    this.name = "KubeVirtError";
    this.code = code;
  }
}

const VMS = { group: "kubevirt.io", version: "v1", plural: "virtualmachines" };
const DVS = { group: "cdi.kubevirt.io", version: "v1beta1", plural: "datavolumes" };

/** A DNS-1123 name for a disk's DataVolume. */
export function dataVolumeName(diskID: string): string {
  return diskID
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 63)
    .replace(/-+$/, "");
}

export function createKubeVirtTarget(opts: KubeVirtTargetOptions): TargetProvider {
  const api = opts.kubeConfig.makeApiClient(CustomObjectsApi);
  const namespace = opts.namespace;
  const call = async <R>(what: string, fn: () => Promise<R>): Promise<R> => {
    try {
      return await fn();
    } catch (err) {
      throw toApiError(err, what);
    }
  };
  const listVMs = async (): Promise<KubeVirtVM[]> => {
    const list = (await call(`list VirtualMachines in ${namespace}`, () => api.listNamespacedCustomObject({ ...VMS, namespace }))) as { items?: unknown[] };
    return (list.items ?? []).map((i) => plainJson(i) as KubeVirtVM);
  };
  const find = async (ref: { uuid?: string; name?: string }): Promise<KubeVirtVM | undefined> =>
    (await listVMs()).find((v) => (ref.uuid !== undefined ? v.metadata.uid === ref.uuid : v.metadata.name === ref.name));
  const mustFind = async (uuid: string): Promise<KubeVirtVM> => {
    const vm = await find({ uuid });
    if (!vm) throw new KubeVirtError("NotFound", `no VirtualMachine with uid ${uuid} in namespace ${namespace}`);
    return vm;
  };
  /** Read-modify-write with the resourceVersion; a concurrent writer makes it read again (3 tries). */
  const updateVM = async (uuid: string, change: (vm: KubeVirtVM) => KubeVirtVM): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const vm = await mustFind(uuid);
      try {
        await call(`update VirtualMachine ${namespace}/${vm.metadata.name}`, () =>
          api.replaceNamespacedCustomObject({ ...VMS, namespace, name: vm.metadata.name, body: change(structuredClone(vm)) }),
        );
        return;
      } catch (err) {
        if (!isApiError(err, "Conflict") || attempt >= 3) throw err;
      }
    }
  };

  return {
    type: "kubevirt",

    async check(): Promise<ProviderHealth> {
      try {
        const vms = await listVMs();
        return { ready: true, reason: "Connected", message: `${vms.length} VirtualMachines in namespace ${namespace}` };
      } catch (err) {
        const reason = isApiError(err, "Unauthorized") || isApiError(err, "Forbidden") ? "InvalidCredentials" : "Unreachable";
        return { ready: false, reason, message: (err as Error).message };
      }
    },

    async ensureStorage(): Promise<TargetStorage> {
      // Space is the cluster's storage class to judge; CDI fails the DataVolume when it cannot provision.
      return { pool: opts.storageClass ?? "(default storage class)", path: `kubevirt://${namespace}`, availableBytes: Number.MAX_SAFE_INTEGER };
    },

    async importDisk(request: ImportDiskRequest): Promise<ImportedVolume> {
      const imports = opts.imports;
      if (!imports) throw new KubeVirtError("NotSupported", "this KubeVirt target has no image server to import disks from; configure one to import");
      const name = dataVolumeName(request.diskID);
      const [sha, virtual] = await Promise.all([imports.fileSha256(request.sourcePath), imports.virtualSize(request.sourcePath, request.sourceFormat)]);
      const sizeBytes = Math.max(virtual, request.sizeBytes ?? 0);
      const published = imports.publish(request.sourcePath, sha);
      const dv: KubeObjectManifest = dataVolumeManifest({
        name,
        namespace,
        sizeBytes,
        source: { type: "http", ...published, ...(imports.certConfigMap ? { certConfigMap: imports.certConfigMap } : {}) },
        ...(opts.storageClass ? { storageClass: opts.storageClass } : {}),
        annotations: { [keys(opts.conventions).importedDiskID]: request.diskID },
      });
      await call(`create DataVolume ${namespace}/${name}`, () => api.createNamespacedCustomObject({ ...DVS, namespace, body: dv })).catch((err: unknown) => {
        if (isApiError(err, "AlreadyExists")) throw new KubeVirtError("AlreadyExists", `DataVolume ${namespace}/${name} already exists; delete it or import under another disk ID`);
        throw err;
      });
      return { diskID: request.diskID, path: name, format: "raw", virtualSizeBytes: sizeBytes };
    },

    async createOverlay(): Promise<ImportedVolume> {
      throw new KubeVirtError("NotSupported", "KubeVirt has no copy-on-write overlay on a local base image; use a VM with importedDisk, or a CDI DataSource clone in the cluster");
    },

    async growDisk(): Promise<ImportedVolume> {
      throw new KubeVirtError("NotSupported", "growing a DataVolume is done by the cluster: raise spec.storage.resources.requests.storage on it (needs an expandable storage class)");
    },

    async deleteDisk(path: string): Promise<void> {
      await call(`delete DataVolume ${namespace}/${path}`, () => api.deleteNamespacedCustomObject({ ...DVS, namespace, name: path })).catch((err: unknown) => {
        if (!isApiError(err, "NotFound")) throw err;
      });
    },

    async createVM(spec: TargetVMSpec): Promise<TargetVM> {
      // Created halted, as libvirt defines a domain without starting it; setPower("start") runs it.
      const body = virtualMachineManifest({ spec, namespace, dataVolumes: spec.disks.map((d) => d.path), runStrategy: "Halted", ...(spec.description ? { annotations: { [`${opts.conventions.prefix}/description`]: spec.description } } : {}) });
      const created = await call(`create VirtualMachine ${namespace}/${spec.name}`, () => api.createNamespacedCustomObject({ ...VMS, namespace, body })).catch((err: unknown) => {
        if (isApiError(err, "AlreadyExists")) throw new KubeVirtError("AlreadyExists", `VirtualMachine ${namespace}/${spec.name} already exists`);
        throw err;
      });
      return targetVMOf(plainJson(created) as KubeVirtVM);
    },

    async getVM(ref) {
      const vm = await find(ref);
      return vm ? targetVMOf(vm) : undefined;
    },

    async listVMs() {
      return (await listVMs()).map(targetVMOf);
    },

    async listForkliftPlans(): Promise<ForkliftPlan[]> {
      // Plans live in their own namespaces and send VMs to this one; a cluster without Forklift has none.
      const list = await call("list Forklift Plans", () => api.listClusterCustomObject({ group: "forklift.konveyor.io", version: "v1beta1", plural: "plans" })).catch((err: unknown) => {
        if (isApiError(err, "NotFound")) return { items: [] };
        throw err;
      });
      return ((list as { items?: unknown[] }).items ?? []).map((p) => plainJson(p) as ForkliftPlan);
    },

    async setPower(uuid, action) {
      if (action === "reboot") throw new KubeVirtError("NotSupported", "reboot a KubeVirt VM with `virtctl restart`; landfall sets only its runStrategy");
      const runStrategy = action === "start" ? "Always" : "Halted";
      await updateVM(uuid, (vm) => ({ ...vm, spec: { ...vm.spec, runStrategy } }));
    },

    async setResources(uuid, resources) {
      await updateVM(uuid, (vm) => {
        const domain = vm.spec.template?.spec?.domain ?? {};
        domain.cpu = { ...(domain.cpu ?? {}), cores: resources.cpus, sockets: 1, threads: 1 };
        domain.memory = { ...(domain.memory ?? {}), guest: `${resources.memoryMiB}Mi` };
        return vm;
      });
    },

    async setLabels(uuid, labels) {
      await updateVM(uuid, (vm) => {
        const next = { ...(vm.metadata.labels ?? {}) };
        for (const [k, v] of Object.entries(labels)) {
          if (v === null) delete next[k];
          else next[k] = v;
        }
        return { ...vm, metadata: { ...vm.metadata, labels: next } };
      });
    },

    async deleteVM(uuid, options) {
      const vm = await mustFind(uuid);
      const volumes = targetVMOf(vm).disks.filter((d) => !d.readonly).map((d) => d.path);
      await call(`delete VirtualMachine ${namespace}/${vm.metadata.name}`, () => api.deleteNamespacedCustomObject({ ...VMS, namespace, name: vm.metadata.name }));
      if (options.keepDisks) return;
      for (const dv of volumes) {
        await call(`delete DataVolume ${namespace}/${dv}`, () => api.deleteNamespacedCustomObject({ ...DVS, namespace, name: dv })).catch((err: unknown) => {
          if (!isApiError(err, "NotFound")) throw err;
        });
      }
    },

    async close() {},
  };
}

