// The KubeVirt target provider: the target contract over a cluster's API (kubevirt.io/v1 VirtualMachines,
// cdi.kubevirt.io/v1beta1 DataVolumes) with @kubernetes/client-node. Disks are imported by CDI from landfall's
// image server (the file and its sha256, which CDI verifies); a volume is proven by the DataVolume reaching
// Succeeded (CDI's importer checked the checksum), never by reading it back; power is the VM's runStrategy;
// labels are the VM's labels. The migration pipeline stages disks in a local directory (stagingDir). What a cluster cannot do the libvirt way (overlays on a base image, growing or rebooting in
// place) is refused with a message saying what to do instead.
import { mkdir, statfs } from "node:fs/promises";
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { type Conventions, keys } from "../../api/conventions.ts";
import { isApiError } from "../../api/errors.ts";
import { kubeCall, plainJson } from "../../api/kube-wire.ts";
import type { ForkliftPlan, ImportDiskRequest, ImportedVolume, ProviderHealth, TargetProvider, TargetStorage, TargetVM, TargetVMSpec } from "../contract.ts";
import { sleepUnlessAborted } from "../../runtime/sleep.ts";
import { type DataVolume, quantityBytes, volumeVerdict } from "./data-volume.ts";
import type { ImageServer } from "./image-server.ts";
import { type KubeVirtVM, targetVMOf } from "./live-vm.ts";
import { dataVolumeManifest, type KubeObjectManifest, virtualMachineManifest } from "./manifests.ts";

export interface KubeVirtTargetOptions {
  kubeConfig: KubeConfig;
  /** Annotation prefix (landfall.dev, or cozystack.io with that preset). */
  conventions: Pick<Conventions, "prefix">;
  /** Namespace VMs and DataVolumes are created in. */
  namespace: string;
  storageClass?: string;
  /**
   * Local directory where the migration pipeline stages disks before CDI imports them (ensureStorage reports it
   * with its free space); absent: a target that only manages VMs.
   */
  stagingDir?: string;
  /** Disk imports (absent: this target only manages VMs, e.g. for adoption) — the image server and hashing. */
  imports?: DiskImports;
  /** How often verifyVolume looks at a DataVolume that is still importing (default 1000 ms). */
  pollMs?: number;
}

export interface DiskImports {
  /** landfall's HTTPS image server CDI downloads from (started on first use). */
  imageServer: () => Promise<Pick<ImageServer, "publish" | "unpublish" | "ca">>;
  /** ConfigMap the image server's CA is written to (key ca.pem), named by the DataVolumes' certConfigMap. */
  certConfigMap?: string;
  /** sha256 (hex) of a file's bytes as stored: what CDI downloads and checks. */
  fileSha256: (path: string) => Promise<string>;
  /** "sha256:<hex>" of an image's guest-visible bytes (for a raw image, its file hash: not read twice). */
  imageSha256: (path: string, format: string) => Promise<string>;
  /** Guest-visible size of an image. */
  virtualSize: (path: string, format: string) => Promise<number>;
}

export class KubeVirtError extends Error {
  readonly code: "NotFound" | "AlreadyExists" | "NotSupported" | "ChecksumMismatch" | "ImportFailed";
  constructor(code: KubeVirtError["code"], message: string) {
    super(message);
    this.name = "KubeVirtError";
    this.code = code;
  }
}

/** What Node's TLS stack says when the API server's certificate is not trusted (self-signed, unknown CA, expired, wrong host). */
const TLS_FAILURE = /certificate|CERT_|altnames/i;

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
  const listVMs = async (): Promise<KubeVirtVM[]> => {
    const list = (await kubeCall(`list VirtualMachines in ${namespace}`, () => api.listNamespacedCustomObject({ ...VMS, namespace }))) as { items?: unknown[] };
    return (list.items ?? []).map((i) => plainJson(i) as KubeVirtVM);
  };
  // Identity is the object's uid; a VM landfall created also answers to the SMBIOS UUID it was asked for, so a
  // VirtualMachine that knows only the source's UUID finds the VM it defined.
  const find = async (ref: { uuid?: string; name?: string }): Promise<KubeVirtVM | undefined> =>
    (await listVMs()).find((v) =>
      ref.uuid !== undefined ? v.metadata.uid === ref.uuid || v.spec.template?.spec?.domain?.firmware?.uuid === ref.uuid : v.metadata.name === ref.name,
    );
  const core = opts.kubeConfig.makeApiClient(CoreV1Api);
  const getDV = async (name: string): Promise<DataVolume | undefined> =>
    kubeCall(`get DataVolume ${namespace}/${name}`, () => api.getNamespacedCustomObject({ ...DVS, namespace, name })).then(
      (o) => plainJson(o) as DataVolume,
      (err: unknown) => {
        if (isApiError(err, "NotFound")) return undefined;
        throw err;
      },
    );
  const checksumKey = keys(opts.conventions).diskChecksum;
  const diskIDKey = keys(opts.conventions).importedDiskID;
  let caWritten = false;
  /** The image server's CA in the certConfigMap, so CDI's importer trusts landfall's certificate. */
  const ensureCertConfigMap = async (name: string | undefined, ca: string | undefined): Promise<void> => {
    if (caWritten || !ca || !name) return;
    const body = { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data: { "ca.pem": ca } };
    await kubeCall(`create ConfigMap ${namespace}/${name}`, () => core.createNamespacedConfigMap({ namespace, body })).catch(async (err: unknown) => {
      if (!isApiError(err, "AlreadyExists")) throw err;
      await kubeCall(`replace ConfigMap ${namespace}/${name}`, () => core.replaceNamespacedConfigMap({ name, namespace, body }));
    });
    caWritten = true;
  };
  const published = new Map<string, string>(); // DataVolume name → URL being served
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
        await kubeCall(`update VirtualMachine ${namespace}/${vm.metadata.name}`, () =>
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
        const message = (err as Error).message;
        const reason =
          isApiError(err, "Unauthorized") || isApiError(err, "Forbidden") ? "InvalidCredentials" : TLS_FAILURE.test(message) ? "TLSVerificationFailed" : "Unreachable";
        return { ready: false, reason, message };
      }
    },

    async ensureStorage(): Promise<TargetStorage> {
      // Space in the cluster is the storage class's to judge (CDI fails a DataVolume it cannot provision); what
      // landfall needs is room to stage the disks locally before CDI downloads them.
      const pool = opts.storageClass ?? "(default storage class)";
      if (!opts.stagingDir) return { pool, path: `kubevirt://${namespace}`, availableBytes: 0 };
      await mkdir(opts.stagingDir, { recursive: true, mode: 0o700 });
      const fs = await statfs(opts.stagingDir);
      return { pool, path: opts.stagingDir, availableBytes: fs.bavail * fs.bsize, capacityBytes: fs.blocks * fs.bsize };
    },

    async importDisk(request: ImportDiskRequest): Promise<ImportedVolume> {
      const imports = opts.imports;
      if (!imports) throw new KubeVirtError("NotSupported", "this KubeVirt target has no image server to import disks from; configure one to import");
      const name = dataVolumeName(request.diskID);
      const [sha, virtual] = await Promise.all([imports.fileSha256(request.sourcePath), imports.virtualSize(request.sourcePath, request.sourceFormat)]);
      // The guest-visible hash of the file CDI will verify byte for byte: the same file, so the same guest bytes.
      const guestSha256 = request.sourceFormat === "raw" ? `sha256:${sha}` : await imports.imageSha256(request.sourcePath, request.sourceFormat);
      const sizeBytes = Math.max(virtual, request.sizeBytes ?? 0);
      const volume: ImportedVolume = { diskID: request.diskID, path: name, format: "raw", virtualSizeBytes: sizeBytes };
      const existing = await getDV(name);
      if (existing) {
        // An earlier attempt's DataVolume of the same bytes is this import (a crash after create); anything else is not ours.
        const same = existing.metadata.annotations?.[diskIDKey] === request.diskID && existing.spec?.source?.http?.checksum === `sha256:${sha}`;
        if (same) return volume;
        throw new KubeVirtError("AlreadyExists", `DataVolume ${namespace}/${name} already exists; delete it or import under another disk ID`);
      }
      const server = await imports.imageServer();
      await ensureCertConfigMap(imports.certConfigMap, server.ca);
      const image = server.publish(request.sourcePath, sha);
      published.set(name, image.url);
      const dv: KubeObjectManifest = dataVolumeManifest({
        name,
        namespace,
        sizeBytes,
        source: { type: "http", ...image, ...(imports.certConfigMap ? { certConfigMap: imports.certConfigMap } : {}) },
        ...(opts.storageClass ? { storageClass: opts.storageClass } : {}),
        annotations: { [diskIDKey]: request.diskID, [checksumKey]: guestSha256 },
      });
      await kubeCall(`create DataVolume ${namespace}/${name}`, () => api.createNamespacedCustomObject({ ...DVS, namespace, body: dv })).catch((err: unknown) => {
        if (isApiError(err, "AlreadyExists")) throw new KubeVirtError("AlreadyExists", `DataVolume ${namespace}/${name} already exists; delete it or import under another disk ID`);
        throw err;
      });
      return volume;
    },

    async verifyVolume(volume: ImportedVolume, signal?: AbortSignal): Promise<string> {
      // CDI's importer checked the downloaded file against spec.source.http.checksum; Succeeded is its word that
      // the bytes matched, and the annotation holds the guest-visible hash of exactly that file.
      try {
        for (;;) {
          signal?.throwIfAborted();
          const dv = await getDV(volume.path);
          const verdict = volumeVerdict(dv, { namespace, name: volume.path, checksumKey });
          if (verdict.state === "verified") return verdict.sha256;
          if (verdict.state === "failed") throw new KubeVirtError(verdict.code, verdict.message);
          await sleepUnlessAborted(opts.pollMs ?? 1000, signal ?? new AbortController().signal);
        }
      } finally {
        const url = published.get(volume.path);
        if (url && opts.imports) {
          (await opts.imports.imageServer()).unpublish(url);
          published.delete(volume.path);
        }
      }
    },

    async describeVolume(path: string): Promise<ImportedVolume | undefined> {
      const dv = await getDV(path);
      if (!dv) return undefined;
      const requested = dv.spec?.storage?.resources?.requests?.storage ?? dv.spec?.pvc?.resources?.requests?.storage;
      return { diskID: dv.metadata.annotations?.[diskIDKey] ?? path, path, format: "raw", virtualSizeBytes: quantityBytes(requested) ?? 0 };
    },

    async createOverlay(): Promise<ImportedVolume> {
      throw new KubeVirtError("NotSupported", "KubeVirt has no copy-on-write overlay on a local base image; use a VM with importedDisk, or a CDI DataSource clone in the cluster");
    },

    async growDisk(): Promise<ImportedVolume> {
      throw new KubeVirtError("NotSupported", "growing a DataVolume is done by the cluster: raise spec.storage.resources.requests.storage on it (needs an expandable storage class)");
    },

    async deleteDisk(path: string): Promise<void> {
      await kubeCall(`delete DataVolume ${namespace}/${path}`, () => api.deleteNamespacedCustomObject({ ...DVS, namespace, name: path })).catch((err: unknown) => {
        if (!isApiError(err, "NotFound")) throw err;
      });
    },

    async createVM(spec: TargetVMSpec): Promise<TargetVM> {
      // Created halted, as libvirt defines a domain without starting it; setPower("start") runs it.
      const annotations = { ...(spec.annotations ?? {}), ...(spec.description ? { [`${opts.conventions.prefix}/description`]: spec.description } : {}) };
      const body = virtualMachineManifest({ spec, namespace, dataVolumes: spec.disks.map((d) => d.path), runStrategy: "Halted", annotations });
      const created = await kubeCall(`create VirtualMachine ${namespace}/${spec.name}`, () => api.createNamespacedCustomObject({ ...VMS, namespace, body })).catch((err: unknown) => {
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

    async countVMs() {
      const vms = (await listVMs()).map(targetVMOf);
      return { vms: vms.length, running: vms.filter((vm) => vm.state === "running").length };
    },

    async listForkliftPlans(): Promise<ForkliftPlan[]> {
      // Plans live in their own namespaces and send VMs to this one; a cluster without Forklift has none.
      const list = await kubeCall("list Forklift Plans", () => api.listClusterCustomObject({ group: "forklift.konveyor.io", version: "v1beta1", plural: "plans" })).catch((err: unknown) => {
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
      await kubeCall(`delete VirtualMachine ${namespace}/${vm.metadata.name}`, () => api.deleteNamespacedCustomObject({ ...VMS, namespace, name: vm.metadata.name }));
      if (options.keepDisks) return;
      for (const dv of volumes) {
        await kubeCall(`delete DataVolume ${namespace}/${dv}`, () => api.deleteNamespacedCustomObject({ ...DVS, namespace, name: dv })).catch((err: unknown) => {
          if (!isApiError(err, "NotFound")) throw err;
        });
      }
    },

    async close() {},
  };
}

