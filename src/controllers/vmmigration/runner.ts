// Executes a VMMigration's phases: Validating → Exporting → Transferring → Converting → Importing → Creating.
// Every phase is entered and written to status before its work starts; every step records its result before
// the next, so after a crash the runner picks up from status (transfers resume from their checkpoint).
import { mkdir, rm, stat } from "node:fs/promises";
import type { Conventions } from "../../api/conventions.ts";
import { ApiError } from "../../api/errors.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { MigrationDisk, VMMigration, VMMigrationPhase, VMMigrationStatus } from "../../api/vmmigration.ts";
import type { DiskReader, ExportSession, SourceProvider, SourceVM, TargetProvider } from "../../providers/contract.ts";
import { setCondition } from "../../runtime/conditions.ts";
import type { EventSink } from "../../runtime/events.ts";
import { sleepUnlessAborted } from "../../runtime/sleep.ts";
import { patchStatus } from "../../runtime/status.ts";
import type { ResourceStore } from "../../store/types.ts";
import { throttledReader } from "../../disk/throttle.ts";
import type { ProviderClients } from "../provider/clients.ts";
import {
  aggregateProgress,
  convertedFile,
  planDisks,
  stagingDir,
  stagingFile,
  targetNamespace,
  targetVMName,
  unmappedNetworks,
  virtualMachineFor,
} from "./plan.ts";
import { disksToConvert, disksToImport, disksToTransfer, MigrationFailure } from "./steps.ts";

export interface TransferProgress {
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond?: number;
  etaSeconds?: number;
  checkpointOffset?: number;
}

/** The disk pipeline, as the runner uses it (src/disk implements it; tests may wrap it). */
export interface DiskOps {
  transfer(args: {
    reader: DiskReader;
    stagingPath: string;
    resumeFrom?: { offset: number };
    onProgress: (p: TransferProgress) => void | Promise<void>;
    signal: AbortSignal;
    tamper?: (offset: number, buf: Buffer) => void;
  }): Promise<{ sha256: string }>;
  convert(args: { src: string; srcFormat: string; dest: string; destFormat: string; signal?: AbortSignal }): Promise<void>;
  /** Guest-visible sha256 of a finished image, read back independently: "sha256:<hex>". */
  imageSha256(path: string, format: string, signal?: AbortSignal): Promise<string>;
  /** sha256 of a source disk re-read range by range (options.verifySource: reread). */
  readerSha256(reader: DiskReader, signal?: AbortSignal): Promise<string>;
}

export interface RunnerDeps {
  store: ResourceStore;
  clients: ProviderClients;
  disk: DiskOps;
  conventions: Conventions;
  /** Test hook (LANDFALL_TEST_CORRUPT): damage bytes after hashing, before writing. */
  tamper?: (migrationName: string, diskIndex: number) => ((offset: number, buf: Buffer) => void) | undefined;
  /** Called once when a migration reaches Succeeded or Failed (metrics). */
  onFinished?: (m: VMMigration) => void;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  events?: EventSink;
  /** How long Creating waits for the VirtualMachine controller to define the domain. */
  createTimeoutMs?: number;
}

interface Ctx {
  ns: string;
  name: string;
  signal: AbortSignal;
}

const nowISO = () => new Date().toISOString();

export class MigrationRunner {
  readonly #d: RunnerDeps;

  constructor(deps: RunnerDeps) {
    this.#d = deps;
  }

  async #get(ctx: Ctx): Promise<VMMigration> {
    return this.#d.store.get<VMMigration>("VMMigration", ctx.ns, ctx.name);
  }

  /** Re-read, mutate status, write; retried on conflict (the controller and progress reports both write). */
  async #patch(ctx: Ctx, mutate: (s: VMMigrationStatus, m: VMMigration) => void): Promise<VMMigration> {
    return patchStatus<VMMigration, VMMigrationStatus>(this.#d.store, "VMMigration", ctx.ns, ctx.name, mutate, { attempts: 8 });
  }

  async #enter(ctx: Ctx, phase: VMMigrationPhase, message: string): Promise<VMMigration> {
    this.#d.log(`migration ${ctx.ns}/${ctx.name}: ${phase}`, { message });
    this.#d.events?.record(migrationRef(ctx), "Normal", phase, message);
    return this.#patch(ctx, (s) => {
      if (s.phase !== phase) {
        s.phase = phase;
        s.phaseHistory = [...(s.phaseHistory ?? []), { phase, enteredAt: nowISO() }];
      }
      s.message = message;
      setCond(s, "Ready", "False", phase, message);
    });
  }

  /** Runs the migration from wherever its status says it is until it succeeds or throws. */
  async run(ns: string, name: string, signal: AbortSignal): Promise<void> {
    const ctx: Ctx = { ns, name, signal };
    let m = await this.#get(ctx);
    for (;;) {
      signal.throwIfAborted();
      const phase = m.status?.phase ?? "Pending";
      switch (phase) {
        case "Pending":
          m = await this.#patch(ctx, (s) => {
            s.startedAt ??= nowISO();
            s.observedGeneration = m.metadata.generation;
          });
          m = await this.#enter(ctx, "Validating", "checking providers, the source VM and target space");
          break;
        case "Validating":
          m = await this.#validate(ctx, m);
          break;
        case "Exporting":
          m = await this.#export(ctx, m);
          break;
        case "Transferring":
          m = await this.#transfer(ctx, m);
          break;
        case "Converting":
          m = await this.#convert(ctx, m);
          break;
        case "Importing":
          m = await this.#import(ctx, m);
          break;
        case "Creating":
          m = await this.#create(ctx, m);
          break;
        default:
          return;
      }
    }
  }

  async #providers(m: VMMigration): Promise<{ source: SourceProvider; sourceType: string; target: TargetProvider }> {
    const ns = m.metadata.namespace ?? "default";
    const s = await this.#d.clients.sourceByRef(ns, m.spec.source.providerRef.name).catch((err) => {
      throw providerFailure("spec.source.providerRef", m.spec.source.providerRef.name, ns, err);
    });
    const t = await this.#d.clients.targetByRef(ns, m.spec.target.providerRef.name).catch((err) => {
      throw providerFailure("spec.target.providerRef", m.spec.target.providerRef.name, ns, err);
    });
    return { source: s.client, sourceType: s.provider.spec.type, target: t.client };
  }

  async #sourceVM(source: SourceProvider, m: VMMigration): Promise<SourceVM> {
    const ref = m.status?.source?.vmID ? { id: m.status.source.vmID } : { name: m.spec.source.vmName, id: m.spec.source.vmID };
    try {
      return await source.getVM(ref);
    } catch (err) {
      if ((err as { code?: string }).code === "NotFound") {
        const what = m.spec.source.vmName ? `spec.source.vmName "${m.spec.source.vmName}"` : `spec.source.vmID "${m.spec.source.vmID}"`;
        throw new MigrationFailure("SourceVMNotFound", `${what}: no such VM on provider "${m.spec.source.providerRef.name}"; check the name with 'landfall inventory ${m.spec.source.providerRef.name}'`);
      }
      throw err;
    }
  }

  async #validate(ctx: Ctx, m: VMMigration): Promise<VMMigration> {
    const { source, target } = await this.#providers(m);
    const [sh, th] = await Promise.all([source.check(), target.check()]);
    if (!sh.ready) throw new MigrationFailure("SourceUnavailable", `source provider "${m.spec.source.providerRef.name}" is not ready: ${sh.reason}: ${sh.message}`);
    if (!th.ready) throw new MigrationFailure("TargetUnavailable", `target provider "${m.spec.target.providerRef.name}" is not ready: ${th.reason}: ${th.message}`);
    const vm = await this.#sourceVM(source, m);
    if (vm.disks.length === 0) throw new MigrationFailure("NoDisks", `source VM "${vm.name}" has no disks to migrate`);
    await source.checkDisks?.(vm).catch((err) => {
      if ((err as { code?: string }).code === "NotSupported") throw new MigrationFailure("UnsupportedDisk", (err as Error).message);
      throw err;
    });
    const unmapped = unmappedNetworks(vm.nics, m.spec.target.networkMap);
    if (unmapped.length > 0) {
      throw new MigrationFailure("InvalidNetworkMap", `spec.target.networkMap has no entry for source network(s) ${unmapped.map((n) => `"${n}"`).join(", ")}; add {source, target} entries`);
    }
    const name = targetVMName(m);
    const tns = targetNamespace(m);
    const existing = await this.#d.store.get<VirtualMachine>("VirtualMachine", tns, name).catch(() => undefined);
    const k = this.#d.conventions.prefix;
    if (existing && existing.metadata.annotations?.[`${k}/migration`] !== m.metadata.name) {
      throw new MigrationFailure("TargetExists", `VirtualMachine "${tns}/${name}" already exists; set spec.target.vmName to another name or delete it`);
    }
    const sameMachine = vm.uuid ? await target.getVM({ uuid: vm.uuid.toLowerCase() }) : undefined;
    if (sameMachine && !existing) {
      throw new MigrationFailure(
        "TargetExists",
        `the target already has a domain with the source VM's UUID ${vm.uuid} ("${sameMachine.name}"): "${vm.name}" was migrated there before; delete that copy or its VirtualMachine first — two machines with one identity must not run`,
      );
    }
    const storage = await target.ensureStorage();
    const disks = m.status?.disks?.length ? m.status.disks : planDisks(m, vm, storage.path);
    for (const d of disks) {
      if (d.state === "Pending" && (await exists(d.targetPath as string))) {
        throw new MigrationFailure("TargetExists", `target volume ${d.targetPath} already exists; remove it or choose another target name`);
      }
    }
    const needed = disks.reduce((a, d) => a + d.sizeBytes, 0);
    if (storage.availableBytes < needed) {
      throw new MigrationFailure("InsufficientSpace", `storage pool "${storage.pool}" (${storage.path}) has ${gib(storage.availableBytes)} free; the VM's disks need up to ${gib(needed)}`);
    }
    await this.#patch(ctx, (s) => {
      s.disks = disks;
      s.source = { ...(s.source ?? {}), vmID: vm.id, vmName: vm.name, uuid: vm.uuid, powerStateBefore: s.source?.powerStateBefore ?? vm.powerState };
      s.progress = aggregateProgress(disks);
      s.importID = disks[0].diskID;
      s.targetVMRef = { name, namespace: tns };
    });
    return this.#enter(ctx, "Exporting", `preparing "${vm.name}" for export (${m.spec.options?.mode ?? "cold"})`);
  }

  async #export(ctx: Ctx, m: VMMigration): Promise<VMMigration> {
    const { source } = await this.#providers(m);
    if (!m.status?.source?.snapshotID && m.status?.source?.poweredOffByMigration === undefined) {
      const vm = await this.#sourceVM(source, m);
      const session = await source.prepareExport(vm, { mode: m.spec.options?.mode ?? "cold" });
      await this.#patch(ctx, (s) => {
        s.source = {
          ...(s.source ?? {}),
          powerStateBefore: session.powerStateBefore,
          poweredOffByMigration: session.poweredOffByExport,
          ...(session.snapshotID ? { snapshotID: session.snapshotID } : {}),
        };
      });
    }
    return this.#enter(ctx, "Transferring", "copying disks");
  }

  async #session(m: VMMigration, source: SourceProvider): Promise<ExportSession> {
    const vm = await this.#sourceVM(source, m);
    const st = m.status?.source ?? {};
    const mode = m.spec.options?.mode ?? "cold";
    return {
      vmID: vm.id,
      mode,
      powerStateBefore: (st.powerStateBefore as ExportSession["powerStateBefore"]) ?? vm.powerState,
      poweredOffByExport: st.poweredOffByMigration ?? false,
      ...(st.snapshotID ? { snapshotID: st.snapshotID } : {}),
      disks: vm.disks,
    };
  }

  async #transfer(ctx: Ctx, m: VMMigration): Promise<VMMigration> {
    const { source, target } = await this.#providers(m);
    const storage = await target.ensureStorage();
    const dir = stagingDir(storage.path, m);
    await mkdir(dir, { recursive: true });
    const session = await this.#session(m, source);
    const all = m.status?.disks ?? [];
    for (const disk of disksToTransfer(all)) {
      const index = all.findIndex((d) => d.diskID === disk.diskID);
      const srcDisk = session.disks.find((d) => d.key === disk.key) ?? session.disks[index];
      if (!srcDisk) throw new MigrationFailure("SourceChanged", `disk ${disk.label ?? disk.diskID} is no longer on the source VM`);
      const opened = await source.openDisk(session, srcDisk, { scratchDir: dir, signal: ctx.signal });
      const limit = m.spec.options?.bandwidthMiBps;
      const reader = limit ? throttledReader(opened, limit * 2 ** 20) : opened;
      const path = stagingFile(dir, disk);
      const resumeFrom = disk.checkpoint && (await exists(path)) ? { offset: disk.checkpoint.offset } : undefined;
      if (resumeFrom) this.#d.log(`migration ${ctx.ns}/${ctx.name}: resuming ${disk.diskID} at ${resumeFrom.offset}`);
      try {
        await this.#patchDisk(ctx, disk.diskID, (d) => {
          d.state = "Transferring";
        });
        let lastRate: number | undefined;
        const result = await this.#d.disk.transfer({
          reader,
          stagingPath: path,
          resumeFrom,
          signal: ctx.signal,
          tamper: this.#d.tamper?.(ctx.name, index),
          onProgress: (p) => {
            lastRate = p.bytesPerSecond;
            return this.#patchDisk(ctx, disk.diskID, (d) => {
              d.bytesDone = p.bytesDone;
              if (p.checkpointOffset !== undefined) d.checkpoint = { offset: p.checkpointOffset };
            }, lastRate).then(() => undefined);
          },
        });
        await this.#patchDisk(ctx, disk.diskID, (d) => {
          d.bytesDone = d.sizeBytes;
          d.sha256 = result.sha256;
          if (opened.origin) {
            d.transport = opened.origin.transport;
            d.chain = opened.origin.chain;
          }
          d.state = "Transferred";
          delete d.checkpoint;
        }, lastRate);
      } finally {
        await reader.close();
      }
    }
    return this.#enter(ctx, "Converting", `converting disks to ${m.spec.options?.diskFormat ?? "qcow2"}`);
  }

  async #patchDisk(ctx: Ctx, diskID: string, mutate: (d: MigrationDisk) => void, rate?: number): Promise<VMMigration> {
    return this.#patch(ctx, (s) => {
      const d = s.disks?.find((x) => x.diskID === diskID);
      if (d) mutate(d);
      s.progress = aggregateProgress(s.disks ?? [], rate);
    });
  }

  async #convert(ctx: Ctx, m: VMMigration): Promise<VMMigration> {
    const { target } = await this.#providers(m);
    const storage = await target.ensureStorage();
    const dir = stagingDir(storage.path, m);
    for (const disk of disksToConvert(m.status?.disks ?? [])) {
      ctx.signal.throwIfAborted();
      const fmt = disk.targetFormat ?? "qcow2";
      if (fmt !== "raw") {
        await this.#d.disk.convert({ src: stagingFile(dir, disk), srcFormat: "raw", dest: convertedFile(dir, disk), destFormat: fmt, signal: ctx.signal });
        await rm(stagingFile(dir, disk), { force: true });
      }
      await this.#patchDisk(ctx, disk.diskID, (d) => {
        d.state = "Converted";
      });
    }
    return this.#enter(ctx, "Importing", "importing volumes into the target storage and verifying checksums");
  }

  async #import(ctx: Ctx, m: VMMigration): Promise<VMMigration> {
    const { source, target } = await this.#providers(m);
    const storage = await target.ensureStorage();
    const dir = stagingDir(storage.path, m);
    const verify = m.spec.options?.verifyChecksums ?? true;
    const reread = m.spec.options?.verifySource === "reread";
    for (const disk of disksToImport(m.status?.disks ?? [])) {
      ctx.signal.throwIfAborted();
      const fmt = disk.targetFormat ?? "qcow2";
      const staged = fmt === "raw" ? stagingFile(dir, disk) : convertedFile(dir, disk);
      const vol = await target.importDisk({ diskID: disk.diskID, sourcePath: staged, sourceFormat: fmt, format: fmt, consumeSource: true });
      await this.#patchDisk(ctx, disk.diskID, (d) => {
        d.targetPath = vol.path;
      });
      let targetSha256: string | undefined;
      if (verify) {
        targetSha256 = await this.#d.disk.imageSha256(vol.path, vol.format, ctx.signal);
        if (targetSha256 !== disk.sha256) {
          throw new MigrationFailure(
            "ChecksumMismatch",
            `disk ${disk.label ?? disk.diskID}: target image ${vol.path} hashes to ${targetSha256} but the source read hashed to ${disk.sha256}; the data was damaged between source and target`,
          );
        }
      }
      if (reread) {
        const session = await this.#session(m, source);
        const srcDisk = session.disks.find((d) => d.key === disk.key);
        if (!srcDisk) {
          throw new MigrationFailure("SourceChanged", `disk ${disk.label ?? disk.diskID} (device key ${disk.key}) is no longer on the source VM, so verifySource: reread cannot check it`);
        }
        const reader = await source.openDisk(session, srcDisk, { scratchDir: dir, signal: ctx.signal });
        try {
          const again = await this.#d.disk.readerSha256(reader, ctx.signal);
          if (again !== disk.sha256) {
            throw new MigrationFailure("ChecksumMismatch", `disk ${disk.label ?? disk.diskID}: re-reading the source gave ${again}, the transfer read ${disk.sha256}`);
          }
        } finally {
          await reader.close();
        }
      }
      await this.#patchDisk(ctx, disk.diskID, (d) => {
        d.state = "Verified";
        if (targetSha256) d.targetSha256 = targetSha256;
        d.targetFormat = vol.format;
      });
    }
    await rm(dir, { recursive: true, force: true });
    return this.#enter(ctx, "Creating", `creating VirtualMachine "${targetVMName(m)}"`);
  }

  async #create(ctx: Ctx, m: VMMigration): Promise<VMMigration> {
    const { source, sourceType } = await this.#providers(m);
    const name = targetVMName(m);
    const ns = targetNamespace(m);
    let vm = await this.#d.store.get<VirtualMachine>("VirtualMachine", ns, name).catch(() => undefined);
    if (!vm) {
      const sourceVM = await this.#sourceVM(source, m);
      const desired = virtualMachineFor({ migration: m, sourceVM, sourceProviderType: sourceType, disks: m.status?.disks ?? [], conventions: this.#d.conventions });
      vm = await this.#d.store.create(desired);
    }
    const deadline = Date.now() + (this.#d.createTimeoutMs ?? 300_000);
    for (;;) {
      ctx.signal.throwIfAborted();
      vm = await this.#d.store.get<VirtualMachine>("VirtualMachine", ns, name);
      const ready = vm.status?.conditions?.find((c) => c.type === "Ready");
      if (vm.status?.phase === "Failed") {
        throw new MigrationFailure("CreateFailed", `VirtualMachine "${ns}/${name}" failed: ${ready?.message ?? vm.status.message ?? "see its status"}`);
      }
      if (vm.status?.providerID && ready?.status === "True") break;
      if (Date.now() > deadline) throw new Error(`VirtualMachine "${ns}/${name}" is not Ready yet: ${ready?.message ?? "waiting for its controller"}`);
      await sleepUnlessAborted(500, ctx.signal); // an abort ends the wait; the loop then throws its reason
    }
    const restore = m.spec.options?.restoreSourcePower ?? false;
    await source.finishExport(await this.#session(m, source), { restorePower: restore });
    const done = await this.#patch(ctx, (s) => {
      s.phase = "Succeeded";
      s.phaseHistory = [...(s.phaseHistory ?? []), { phase: "Succeeded", enteredAt: nowISO() }];
      s.completedAt = nowISO();
      s.message = `VirtualMachine ${ns}/${name} created from the imported disks (domain ${vm.status?.providerID})`;
      s.progress = aggregateProgress(s.disks ?? []);
      setCond(s, "Ready", "True", "Succeeded", s.message);
    });
    this.#d.log(`migration ${ctx.ns}/${ctx.name}: Succeeded`);
    this.#d.events?.record(migrationRef(ctx), "Normal", "Succeeded", done.status?.message ?? "");
    this.#d.onFinished?.(done);
    return done;
  }

  /**
   * Terminal failure: record it, remove the partial target volumes this migration created (and its staging
   * files) and nothing else, and put the source back as it was (snapshot removed, power restored).
   */
  async fail(ns: string, name: string, reason: string, message: string): Promise<void> {
    const ctx: Ctx = { ns, name, signal: new AbortController().signal };
    // Clean up first, so whoever sees Failed sees the target as it was before the migration.
    await this.cleanup(await this.#get(ctx)).catch((err) => this.#d.log(`migration ${ns}/${name}: cleanup after failure: ${(err as Error).message}`));
    const failed = await this.#patch(ctx, (s) => {
      s.phase = "Failed";
      s.phaseHistory = [...(s.phaseHistory ?? []), { phase: "Failed", enteredAt: nowISO() }];
      s.completedAt = nowISO();
      s.message = message;
      setCond(s, "Ready", "False", reason, message);
    });
    this.#d.log(`migration ${ns}/${name}: Failed (${reason}) ${message}`);
    this.#d.events?.record(migrationRef(ctx), "Warning", reason, message);
    this.#d.onFinished?.(failed);
  }

  /** Removes what an unfinished migration created on the target and restores the source. */
  async cleanup(m: VMMigration): Promise<void> {
    if (m.status?.phase === "Succeeded") return;
    let target: TargetProvider | undefined;
    let source: SourceProvider | undefined;
    try {
      ({ source, target } = await this.#providers(m));
    } catch {
      return;
    }
    const storage = await target.ensureStorage().catch(() => undefined);
    const vmExists = await this.#d.store
      .get<VirtualMachine>("VirtualMachine", targetNamespace(m), targetVMName(m))
      .then((vm) => vm.metadata.annotations?.[`${this.#d.conventions.prefix}/migration`] === m.metadata.name)
      .catch(() => false);
    if (!vmExists) {
      for (const d of m.status?.disks ?? []) {
        if ((d.state === "Verified" || d.state === "Converted") && d.targetPath && (await exists(d.targetPath))) {
          await target.deleteDisk(d.targetPath).catch(() => undefined);
        }
      }
    }
    if (storage) await rm(stagingDir(storage.path, m), { recursive: true, force: true });
    if (m.status?.source?.poweredOffByMigration !== undefined || m.status?.source?.snapshotID) {
      const session = await this.#session(m, source).catch(() => undefined);
      if (session) await source.finishExport(session, { restorePower: session.poweredOffByExport });
    }
  }
}

function setCond(s: VMMigrationStatus, type: string, status: "True" | "False" | "Unknown", reason: string, message: string): void {
  s.conditions = setCondition(s.conditions, { type, status, reason, message });
}

const migrationRef = (ctx: Ctx) => ({ kind: "VMMigration", metadata: { name: ctx.name, namespace: ctx.ns } });

function providerFailure(field: string, name: string, ns: string, err: unknown): Error {
  if (err instanceof ApiError && err.reason === "NotFound") {
    return new MigrationFailure("ProviderNotFound", `${field}: Provider "${name}" not found in namespace "${ns}"`);
  }
  return err as Error;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
