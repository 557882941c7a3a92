// Pure planning for a VMMigration: which disks to move and where, and the VirtualMachine the migration creates
// from the imported boot disk (never from an image), with the seed's provenance annotations.
import { type Conventions, keys, targetNameFor } from "../../api/conventions.ts";
import type { ProviderReference } from "../../api/meta.ts";
import type { Network, VirtualMachine } from "../../api/virtualmachine.ts";
import type { MapEntry, MigrationDisk, VMMigration } from "../../api/vmmigration.ts";
import type { SourceNIC, SourceVM } from "../../providers/contract.ts";
import { providerKey } from "../provider/ref.ts";
import { diskBusForGuest, guestAnnotation, machineTypeForGuest } from "./guest-plan.ts";

export const MIGRATION_FINALIZER = "landfall.dev/migration-cleanup";

export function targetVMName(m: VMMigration): string {
  return m.spec.target.vmName ?? targetNameFor(m.spec.source.vmName ?? m.spec.source.vmID ?? m.metadata.name);
}

export function targetNamespace(m: VMMigration): string {
  return m.spec.target.namespace ?? m.metadata.namespace ?? "default";
}

/** Deterministic identities: disk ids, volume paths, staging files and the snapshot name derive from the migration's UID. */
/** Disk ids are unique per migration: `<vm>-disk<i>-<first 4 hex of the migration uid>` (seed example). */
export function diskIDFor(targetName: string, index: number, migrationUID: string): string {
  return `${targetName}-disk${index}-${migrationUID.replace(/-/g, "").slice(0, 4)}`;
}

export function diskFormat(m: VMMigration): string {
  return m.spec.options?.diskFormat ?? "qcow2";
}

/**
 * The pool a disk on `datastore` lands in: the storageMap entry's target for that datastore; undefined — the target
 * Provider's default pool — when the map has no entry for it.
 */
export function poolForDatastore(datastore: string, map: MapEntry[] | undefined): string | undefined {
  return map?.find((e) => e.source === datastore)?.target;
}

/** The distinct pools the VM's disks land in, by the migration's storageMap (undefined: the default pool). */
export function poolsNeeded(m: VMMigration, vm: SourceVM): Array<string | undefined> {
  return [...new Set(vm.disks.map((d) => poolForDatastore(d.datastore, m.spec.target.storageMap)))];
}

/** Each disk planned into the pool its datastore maps to; `storageOf` gives a pool's name and directory. */
export function planDisks(m: VMMigration, vm: SourceVM, storageOf: (pool: string | undefined) => { pool: string; path: string }): MigrationDisk[] {
  const name = targetVMName(m);
  const format = diskFormat(m);
  return vm.disks.map((d, i) => {
    const diskID = diskIDFor(name, i, m.metadata.uid as string);
    const storage = storageOf(poolForDatastore(d.datastore, m.spec.target.storageMap));
    return {
      diskID,
      key: d.key,
      label: d.label,
      sourcePath: d.fileName,
      sizeBytes: d.capacityBytes,
      bytesDone: 0,
      pool: storage.pool,
      targetPath: `${storage.path}/${diskID}.${format}`,
      targetFormat: format,
      state: "Pending",
    };
  });
}


/** Staging files live inside the pool's filesystem so that importing is a rename, not a copy. */
export function stagingDir(poolPath: string, m: VMMigration): string {
  return `${poolPath}/.landfall-staging/${m.metadata.uid}`;
}
export const stagingFile = (dir: string, d: MigrationDisk): string => `${dir}/${d.diskID}.raw`;
export const convertedFile = (dir: string, d: MigrationDisk): string => `${dir}/${d.diskID}.${d.targetFormat}`;

const NIC_MODELS: Record<string, Network["model"]> = {
  vmxnet3: "virtio",
  vmxnet2: "virtio",
  vmxnet: "virtio",
  virtio: "virtio",
  e1000: "e1000",
  e1000e: "e1000e",
  pcnet32: "rtl8139",
};

/** Networks for the target; unmapped source networks fall back to QEMU user-mode networking ("user"). */
export function mapNetworks(nics: SourceNIC[], map: MapEntry[] | undefined): Network[] {
  return nics.map((n) => ({
    name: map?.find((e) => e.source === n.network)?.target ?? "user",
    macAddress: n.macAddress || undefined,
    model: NIC_MODELS[n.model.toLowerCase()] ?? "virtio",
  }));
}

export function unmappedNetworks(nics: SourceNIC[], map: MapEntry[] | undefined): string[] {
  if (!map || map.length === 0) return [];
  return [...new Set(nics.map((n) => n.network).filter((net) => !map.some((e) => e.source === net)))];
}

/**
 * The target Provider as the created VirtualMachine must name it: the migration resolves its providerRef in the
 * migration's namespace, the VirtualMachine in its own — so a VM landing in another namespace names the
 * Provider's namespace explicitly.
 */
export function targetProviderRef(m: VMMigration): ProviderReference {
  const key = providerKey(m.spec.target.providerRef, m.metadata.namespace ?? "default");
  return key.namespace === targetNamespace(m) ? { name: key.name } : { name: key.name, namespace: key.namespace };
}

/** The snapshot a migration takes is named after its UID, so a rerun finds the one an earlier attempt created. */
export const snapshotNameFor = (m: VMMigration): string => `landfall-export-${m.metadata.uid}`;

export interface CreatedVMInput {
  migration: VMMigration;
  sourceVM: SourceVM;
  sourceProviderType: string;
  disks: MigrationDisk[];
  conventions: Conventions;
}

/**
 * The created VM's checksum annotations for its boot disk: disk-checksum is the image it boots from (the
 * converted guest when there is one, else the verified copy of the source), source-checksum the source's. None
 * while a warm migration has yet to take the sha256 from its staging file (it annotates the VM then).
 */
export function bootChecksumAnnotations(boot: MigrationDisk, conventions: Conventions): Record<string, string> {
  const k = keys(conventions);
  const bootChecksum = boot.convertedSha256 ?? boot.targetSha256 ?? boot.sha256;
  return { ...(bootChecksum ? { [k.diskChecksum]: bootChecksum } : {}), ...(boot.sha256 ? { [k.sourceChecksum]: boot.sha256 } : {}) };
}

export function virtualMachineFor(input: CreatedVMInput): VirtualMachine {
  const { migration: m, sourceVM: vm, disks, conventions } = input;
  const k = keys(conventions);
  const [boot, ...data] = disks;
  const annotations: Record<string, string> = {
    [k.migratedFrom]: `${input.sourceProviderType}/${m.spec.source.providerRef.name}/${vm.name}`,
    [k.migration]: m.metadata.name,
    [k.importedDiskID]: boot.diskID,
    ...bootChecksumAnnotations(boot, conventions),
  };
  const guest = m.status?.guest;
  if (guest) annotations[k.guest] = guestAnnotation(guest);
  const machineType = machineTypeForGuest(guest);
  const labels: Record<string, string> = { ...(m.metadata.labels?.[k.vmImport] ? { [k.vmImport]: m.metadata.labels[k.vmImport] } : {}) };
  return {
    apiVersion: "landfall.dev/v1beta1",
    kind: "VirtualMachine",
    metadata: {
      name: targetVMName(m),
      namespace: targetNamespace(m),
      annotations,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
    },
    spec: {
      providerRef: targetProviderRef(m),
      importedDisk: {
        diskID: boot.diskID,
        path: boot.targetPath,
        format: boot.targetFormat as "qcow2",
        source: "migration",
        migrationRef: { name: m.metadata.name },
      },
      ...(data.length > 0
        ? { dataDisks: data.map((d) => ({ diskID: d.diskID, path: d.targetPath, format: d.targetFormat as "qcow2" })) }
        : {}),
      cpus: vm.cpus,
      memoryMiB: vm.memoryMiB,
      firmware: vm.firmware,
      diskBus: diskBusForGuest(m, vm.guestOS, guest),
      ...(machineType ? { machineType } : {}),
      networks: mapNetworks(vm.nics, m.spec.target.networkMap),
      powerState: m.spec.target.powerOn ? "On" : "Off",
      ...(vm.uuid && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(vm.uuid) ? { uuid: vm.uuid.toLowerCase() } : {}),
    },
  };
}

export interface Progress {
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond?: number;
  etaSeconds?: number;
  percent: number;
}

export function aggregateProgress(disks: MigrationDisk[], bytesPerSecond?: number): Progress {
  const bytesTotal = disks.reduce((a, d) => a + d.sizeBytes, 0);
  const bytesDone = disks.reduce((a, d) => a + Math.min(d.bytesDone, d.sizeBytes), 0);
  const percent = bytesTotal === 0 ? 100 : Math.floor((bytesDone / bytesTotal) * 1000) / 10;
  const out: Progress = { bytesDone, bytesTotal, percent };
  if (bytesPerSecond !== undefined && bytesPerSecond > 0) {
    out.bytesPerSecond = Math.round(bytesPerSecond);
    out.etaSeconds = Math.round((bytesTotal - bytesDone) / bytesPerSecond);
  }
  return out;
}
