// Provider contracts: one per role. Every implementation passes the shared suite for its role
// (source.contract.ts against vcsim, target.contract.ts against real libvirtd).

/** Result of a provider health check; the Provider controller turns it into the Ready condition. */
export interface ProviderHealth {
  ready: boolean;
  /** Connected | InvalidCredentials | TLSVerificationFailed | ThumbprintMismatch | Unreachable | … */
  reason: string;
  message: string;
  /** Warning conditions to surface, e.g. InsecureTLS. */
  warnings?: Array<{ type: string; reason: string; message: string }>;
  version?: string;
  /** SHA-256 fingerprint of the certificate the server presented (TLS endpoints). */
  thumbprint?: string;
  /** Targets: the accelerator VMs get (kvm | qemu) and why. */
  virtType?: { type: string; reason: string };
}

export type SourcePowerState = "poweredOn" | "poweredOff" | "suspended";

export interface SourceDisk {
  /** Device key, unique within the VM. */
  key: number;
  label: string;
  /** Datastore path as the hypervisor names it, e.g. "[LocalDS_0] web01/web01.vmdk". */
  fileName: string;
  /** Guest-visible size. */
  capacityBytes: number;
  datastore: string;
  /** Controller kind the disk hangs off: scsi | sata | ide | nvme | virtio. */
  controller: string;
  thinProvisioned?: boolean;
  /**
   * The disk's backing chain as the source reports it, top (what the guest writes) first, base last: one
   * entry for a disk without snapshots. Formats use the source's terms (vSphere: flat, sparse, redoLog,
   * seSparse, native, rdm, rdm (physical)).
   */
  chain?: Array<{ file: string; format: string }>;
  /** Which transports can read this disk (vSphere: datastore, nfc). */
  readableBy?: Array<"datastore" | "nfc">;
  /**
   * Changed-block tracking's name for the disk's state (vSphere backing.changeId), when the source tracks
   * changes: a snapshot's disks carry it, and queryChangedAreas lists what changed since one.
   */
  changeId?: string;
}

export interface SourceNIC {
  network: string;
  macAddress: string;
  /** Device type as the source names it (vmxnet3, e1000, e1000e, virtio…). */
  model: string;
}

export interface SourceVM {
  name: string;
  /** Provider-local id (vSphere moref, e.g. "vm-42"). */
  id: string;
  /** BIOS/instance UUID. */
  uuid: string;
  powerState: SourcePowerState;
  guestOS: string;
  cpus: number;
  memoryMiB: number;
  firmware: "bios" | "uefi";
  disks: SourceDisk[];
  nics: SourceNIC[];
  /** Snapshots the VM has (each adds a delta layer to every disk's chain). */
  snapshotCount?: number;
  /** Whether the source tracks changed blocks of the VM's disks (vSphere config.changeTrackingEnabled). */
  changeTrackingEnabled?: boolean;
}

/** A byte range of a disk that changed (or, since changeId "*", that holds data). */
export interface ChangedArea {
  start: number;
  length: number;
}

export interface VMRef {
  name?: string;
  id?: string;
}

/** JSON-serialisable: stored in VMMigration status so a restarted server can finish or undo an export. */
export interface ExportSession {
  vmID: string;
  mode: "cold" | "snapshot";
  powerStateBefore: SourcePowerState;
  poweredOffByExport: boolean;
  snapshotID?: string;
  /** The snapshot's name; identifies it when snapshotID was never recorded (a crash right after creating it). */
  snapshotName?: string;
  /** Disks as they are to be read (for snapshot mode, the snapshot's backing files). */
  disks: SourceDisk[];
}

/** One source file read for a disk. */
export interface DiskLayer {
  /** As the source names it, e.g. "[ds] vm/vm-000001.vmdk", or an NFC lease's target id. */
  file: string;
  /** VMDK createType or extent type: monolithicFlat, vmfsSparse, monolithicSparse, streamOptimized, flat… */
  format: string;
  /** sha256:<hex> of the file as downloaded (files downloaded whole; ranged reads are covered by the disk's hash). */
  sha256?: string;
}

/** How a DiskReader gets its bytes: recorded per disk in the migration's status. */
export interface DiskOrigin {
  transport: "datastore" | "nfc";
  /** Top layer first. */
  chain: DiskLayer[];
}

/** Random access to a disk's guest-visible bytes. */
export interface DiskReader {
  readonly sizeBytes: number;
  /**
   * Bytes at the end of the disk that the source does not store (its descriptor describes fewer bytes than
   * the disk's capacity) and that therefore read as zeros. 0 or absent when every byte comes from the source.
   */
  readonly zeroFilledTailBytes?: number;
  /** Where the bytes come from, when the source can say. */
  readonly origin?: DiskOrigin;
  /**
   * Optional: the areas that may hold data, sorted and disjoint — every byte outside them reads as zeros — as the
   * reader knows them without asking the source (a disk composed from downloaded layers: their holes and grains).
   */
  allocatedAreas?(signal?: AbortSignal): Promise<ChangedArea[]>;
  /** Streams bytes [offset, offset+length). Several ranges may be open at once. */
  readRange(offset: number, length: number, signal?: AbortSignal): AsyncIterable<Uint8Array>;
  /**
   * Optional, the same bytes as readRange: fills `into` with bytes [offset, offset+into.length), calling `onBytes` as
   * they arrive (a stall watchdog listens). For a reader whose source can write into the caller's buffer without a
   * stream between (vSphere's datastore reads, range-client.ts).
   */
  readInto?(offset: number, into: Buffer, signal?: AbortSignal, onBytes?: (bytes: number) => void): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDiskOptions {
  /**
   * Where a source may keep files while the disk is read (downloaded delta layers, an NFC export): the
   * migration's staging directory, which lies in the target storage. Removed by DiskReader.close().
   */
  scratchDir?: string;
  /** Aborts work openDisk does before it returns (downloads, conversions). */
  signal?: AbortSignal;
}

export interface SourceProvider {
  readonly type: string;
  check(): Promise<ProviderHealth>;
  listVMs(): Promise<SourceVM[]>;
  /** Throws an error with `code: "NotFound"` when no VM matches. */
  getVM(ref: VMRef): Promise<SourceVM>;
  /**
   * cold: guest shutdown (falling back to power off) when powered on; snapshot: quiesced snapshot. Idempotent:
   * a snapshot named snapshotName that already exists is reused, never created twice.
   */
  prepareExport(vm: SourceVM, options: { mode: "cold" | "snapshot"; snapshotName?: string }): Promise<ExportSession>;
  openDisk(session: ExportSession, disk: SourceDisk, options?: OpenDiskOptions): Promise<DiskReader>;
  /**
   * Optional: rejects (code NotSupported, naming the file, its format and what to do) disks this source
   * cannot read, so a migration fails in Validating rather than retrying in Transferring.
   */
  checkDisks?(vm: SourceVM): Promise<void>;
  /**
   * Removes the snapshot (by snapshotID, else by snapshotName; an absent one is fine); powers the VM back on when
   * restorePower and the export powered it off.
   */
  finishExport(session: ExportSession, options: { restorePower: boolean }): Promise<void>;
  powerOn(vmID: string): Promise<void>;
  /**
   * Optional (warm migration): turns changed-block tracking of the VM's disks on or off; a no-op when it
   * already is. Tracking starts afresh when turned on: changeIds from before are no longer accepted.
   */
  setChangeTracking?(vmID: string, enabled: boolean): Promise<void>;
  /**
   * Optional (warm migration, and what a disk holds): the areas of `disk` (as the snapshot session froze it, or as it
   * stands in a cold session, whose VM is off) written after `sinceChangeId` — a changeId an earlier snapshot's disk
   * carried — sorted and disjoint; "*" lists every allocated area. Throws an error with code "ChangeIdInvalid" when
   * the source no longer knows the changeId (tracking was reset, e.g. someone else consolidated the snapshot chain):
   * copy the disk in full then.
   */
  queryChangedAreas?(session: ExportSession, disk: SourceDisk, sinceChangeId: string): Promise<ChangedArea[]>;
  close(): Promise<void>;
}

export type TargetPowerState = "running" | "shutoff" | "paused" | "shutdown" | "crashed" | "unknown";

export interface TargetDisk {
  path: string;
  format: string;
  bus: "virtio" | "sata" | "scsi" | "ide";
  /** Guest device name, e.g. vda. */
  device?: string;
  readonly?: boolean;
}

export interface TargetNIC {
  /** Network name; "user" means QEMU user-mode networking (no host setup). */
  network: string;
  macAddress?: string;
  model: string;
}

export interface TargetVMSpec {
  name: string;
  /** Keep the source's identity where given (SMBIOS UUID), so the guest stays the same machine. */
  uuid?: string;
  cpus: number;
  memoryMiB: number;
  firmware: "bios" | "uefi";
  disks: TargetDisk[];
  nics: TargetNIC[];
  labels?: Record<string, string>;
  description?: string;
  /** Provenance annotations (migrated-from, migration, disk checksums) for targets whose VMs carry annotations (KubeVirt). */
  annotations?: Record<string, string>;
  /** CPU model: host-model, host-passthrough, max, or a named model (Nehalem…); default by accelerator. */
  cpuModel?: string;
  /** Machine type (q35, pc, pc-q35-7.2…); default: the hypervisor's. */
  machineType?: string;
}

export interface TargetVM {
  /** Stable identity (libvirt domain UUID). */
  uuid: string;
  name: string;
  state: TargetPowerState;
  cpus: number;
  memoryMiB: number;
  firmware: "bios" | "uefi";
  disks: TargetDisk[];
  nics: TargetNIC[];
  labels: Record<string, string>;
  /** File the guest's serial console is written to, when there is one. */
  consoleLog?: string;
}

/** What a running guest's agent reported. */
export interface GuestAgentInfo {
  /** linux | windows | unknown */
  os: string;
  /** The agent's OS id (debian, rhel, ubuntu…). */
  distro?: string;
  version?: string;
  prettyName?: string;
  kernel?: string;
  hostname?: string;
  ipAddresses: string[];
}

export interface TargetStorage {
  pool: string;
  path: string;
  availableBytes: number;
  capacityBytes?: number;
}

export interface ImportDiskRequest {
  diskID: string;
  /** A local file holding the disk (e.g. the pipeline's sparse raw staging file). */
  sourcePath: string;
  sourceFormat: string;
  format: string;
  /** Grow the disk to this size when larger than the source. */
  sizeBytes?: number;
  /** Move rather than copy when formats match (the staging file is consumed). */
  consumeSource?: boolean;
  /** The storage pool to place the volume in (one the Provider declares); default: the provider's own. */
  pool?: string;
}

export interface ImportedVolume {
  diskID: string;
  path: string;
  format: string;
  virtualSizeBytes: number;
}

/** A forklift.konveyor.io/v1beta1 Plan as a KubeVirt target lists it (only the fields adoption reads). */
export interface ForkliftPlan {
  metadata: { name: string; namespace?: string; uid?: string; annotations?: Record<string, string> };
  spec: { targetNamespace?: string; vms?: Array<{ id?: string; name?: string }>; provider?: { source?: { name?: string } } };
}

/** What a volume was made from: the raw staging file the transfer wrote, and the sha256 of the source's bytes it read. */
export interface SourceBytes {
  sha256: string;
  /** The raw staging file the volume was made from (gone when the volume is that file, renamed). */
  stagingPath: string;
  /**
   * Its chunk digests sidecar, sealed with `sha256` by the transfer (chunk-digests.ts): lets a raw volume renamed
   * from the staging file be proven by its digests instead of hashed whole (staging-proof.ts).
   */
  digestsPath?: string;
}

export interface TargetProvider {
  readonly type: string;
  /** KubeVirt targets: the Forklift Plans in the cluster, whose adoption annotation decides adoption of their VMs. */
  listForkliftPlans?(): Promise<ForkliftPlan[]>;
  check(): Promise<ProviderHealth>;
  /**
   * Creates the storage pool when missing; reports its path and free space. `pool` names one of the pools the
   * Provider declares (default: its own); any other name is refused.
   */
  ensureStorage(pool?: string): Promise<TargetStorage>;
  importDisk(request: ImportDiskRequest): Promise<ImportedVolume>;
  /**
   * How the target proves the bytes a volume holds: "sha256:<hex>" of its guest-visible bytes, as the target
   * itself established it once the volume is complete (libvirt: reads the volume back; KubeVirt: waits for CDI's
   * importer, which verified the checksum of what it downloaded). Rejects with `code: "ChecksumMismatch"` when
   * the target itself found the bytes damaged; aborted by signal. With `source` (the raw staging file the volume
   * was made from, and the source's sha256 the transfer computed), a target that reads its volumes may prove the
   * volume's guest bytes identical to the staging file and the staging file's sha256 equal to the source's, both at
   * once, instead of hashing the volume alone; without the staging file it hashes the volume.
   */
  verifyVolume(volume: ImportedVolume, signal?: AbortSignal, source?: SourceBytes): Promise<string>;
  /**
   * Targets whose volumes are not files landfall reads (KubeVirt DataVolumes): the volume a disk path names, as
   * the target sees it; undefined when there is none. File-based targets leave it out: their volumes are confined
   * and inspected as files.
   */
  describeVolume?(path: string): Promise<ImportedVolume | undefined>;
  /** Creates a copy-on-write overlay on a base image (VMs from imageRef). */
  createOverlay(request: { diskID: string; backingPath: string; backingFormat: string; sizeBytes?: number }): Promise<ImportedVolume>;
  /** Grows a volume in the provider's storage to sizeBytes when it is smaller; never shrinks. */
  growDisk(path: string, format: string, sizeBytes: number): Promise<ImportedVolume>;
  /** Removes a volume this provider created (partial imports on failure). */
  deleteDisk(path: string): Promise<void>;
  createVM(spec: TargetVMSpec): Promise<TargetVM>;
  getVM(ref: { uuid?: string; name?: string }): Promise<TargetVM | undefined>;
  listVMs(): Promise<TargetVM[]>;
  /**
   * How many VMs the target holds and how many of them run: the Provider's inventory summary, without describing
   * each VM as listVMs does (on libvirt, two listings instead of one process per domain).
   */
  countVMs(): Promise<{ vms: number; running: number }>;
  setPower(uuid: string, action: "start" | "shutdown" | "stop" | "reboot"): Promise<void>;
  /**
   * Sets CPUs and memory in the VM's persistent definition, leaving everything else as it is; a running VM gets
   * them at its next boot.
   */
  setResources(uuid: string, resources: { cpus: number; memoryMiB: number }): Promise<void>;
  /** Merges labels; a null value removes that label. */
  setLabels(uuid: string, labels: Record<string, string | null>): Promise<void>;
  deleteVM(uuid: string, options: { keepDisks: boolean }): Promise<void>;
  /**
   * Asks the running VM's guest agent who it is, bounded by timeoutMs; undefined when no agent answers (not
   * installed, not started yet, no agent channel). Optional: targets without an agent protocol leave it out.
   */
  guestInfo?(uuid: string, options: { timeoutMs: number }): Promise<GuestAgentInfo | undefined>;
  close(): Promise<void>;
}
