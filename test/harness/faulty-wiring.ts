// TEST-ONLY composition: landfall's production parts (disk pipeline, provider factories) wrapped so that a test
// can inject faults — crash the server with SIGKILL at a step boundary, damage bytes between the source hash
// and the target (or in a warm migration's target image or staging file), reset the source connection mid-disk, or fill the target filesystem after Validating. It is
// reachable only through test/harness/faulty-serve.ts; the production composition has no fault hooks.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { access, open, readFile, stat, statfs } from "node:fs/promises";
import { basename, join } from "node:path";
import { imageServerFromEnv } from "../../src/compose/kubevirt-target.ts";
import type { LandfallParts } from "../../src/compose/landfall.ts";
import { flippingImageServer } from "./flipping-image-server.ts";
import type { ProviderFactories } from "../../src/controllers/provider/clients.ts";
import type { DiskOps } from "../../src/controllers/vmmigration/disk-ops.ts";
import type { DiskReader, SourceProvider, TargetProvider } from "../../src/providers/contract.ts";

/** Where a fault strikes. The crash points are the step boundaries of a migration, in order. */
export type FaultPoint =
  | "afterShutdown"
  | "afterSnapshot"
  | "midTransfer"
  | "afterLastChunk"
  | "midConvert"
  | "afterConvert"
  | "afterImport"
  | "afterDefine"
  | "beforeSucceeded"
  | "midPrecopy"
  | "afterFinalSnapshot"
  | "afterFinalDelta"
  | "corruptTargetDelta"
  | "beforeStagingSha256"
  | "corruptStagingBeforeSha256"
  | "corrupt"
  | "damageBeforeImport"
  | "resetMidDisk"
  | "fillPool"
  | "holdAfterImport"
  | "stallMidDisk"
  | "shortReadMidDisk"
  | "flipImageByte";

export interface FaultConfig {
  at: FaultPoint;
  /** The source VM (= target VM name in these tests) the fault applies to. */
  vm: string;
  /** fillPool: the directory whose filesystem is filled. */
  poolPath?: string;
  /** fillPool: bytes to leave free. */
  leaveBytes?: number;
  /** The transfer's stall (heartbeat) timeout, so a stall row fails its attempt in seconds, not a minute. */
  stallTimeoutMs?: number;
  /** holdAfterImport: the step waits here until this file exists (the test acts on the world meanwhile). */
  releaseFile?: string;
}

/** The faults a test composition injects: one, or several (each on its own VM), as startFaultyServer wrote them. */
export async function readFaultConfigs(path: string): Promise<FaultConfig[]> {
  return [JSON.parse(await readFile(path, "utf8")) as FaultConfig | FaultConfig[]].flat();
}

/** The crash: no cleanup, no flush, no shutdown handler — what a power cut or the OOM killer does. */
function crash(point: string): never {
  process.stderr.write(`faulty-serve: SIGKILL at ${point}\n`);
  process.kill(process.pid, "SIGKILL");
  throw new Error("unreachable: SIGKILL did not end the process");
}

/** Holds the step until the test creates the release file: the server stays up, mid-reconcile. */
async function hold(point: string, releaseFile: string | undefined): Promise<void> {
  if (!releaseFile) throw new Error(`fault ${point} needs releaseFile`);
  process.stderr.write(`faulty-serve: holding at ${point}\n`);
  while (!(await access(releaseFile).then(() => true, () => false))) await new Promise((r) => setTimeout(r, 100));
  process.stderr.write(`faulty-serve: released at ${point}\n`);
}

/** A disk of vm `vm` is named `<vm>-disk<i>-<uid>` (staging files, converted files, volumes). */
const diskOf = (vm: string, path: string, index?: number) => basename(path).startsWith(`${vm}-disk${index ?? ""}`);

export function faultyParts(parts: LandfallParts, fault: FaultConfig): LandfallParts {
  let fired = false;
  const once = (hit: boolean) => {
    if (!hit || fired) return false;
    fired = true;
    return true;
  };
  // flipImageByte: the image server KubeVirt targets import from serves the VM's disks with a byte flipped.
  const providers: LandfallParts["providers"] =
    fault.at === "flipImageByte"
      ? (opts) => {
          const real = imageServerFromEnv(opts.dataDir);
          return parts.providers({ ...opts, imageServer: async () => flippingImageServer(await real(), (path) => diskOf(fault.vm, path)) });
        }
      : parts.providers;
  // Set by the source when the warm cutover's final snapshot of the fault's VM exists (the source is off).
  const cutover = { finalSnapshot: false };
  return { disk: faultyDisk(parts.disk, fault, once, cutover), guest: parts.guest, providers: (opts) => faultyProviders(providers(opts), fault, once, cutover) };
}

function faultyDisk(disk: DiskOps, fault: FaultConfig, once: (hit: boolean) => boolean, cutover: { finalSnapshot: boolean }): DiskOps {
  return {
    ...disk,
    transfer: async (args) => {
      const mine = diskOf(fault.vm, args.stagingPath);
      const result = await disk.transfer({
        ...args,
        ...(fault.stallTimeoutMs ? { stallTimeoutMs: fault.stallTimeoutMs } : {}),
        onProgress: async (p) => {
          await args.onProgress(p);
          if (fault.at === "midTransfer" && p.bytesDone > 0 && p.bytesDone < p.bytesTotal && once(mine)) crash("midTransfer");
        },
      });
      if (fault.at === "afterLastChunk" && once(mine)) crash("afterLastChunk");
      if (fault.at === "corrupt" && once(diskOf(fault.vm, args.stagingPath, 0))) await flipByte(args.stagingPath, 600);
      return result;
    },
    applyChangedAreas: async (args) => {
      const result = await disk.applyChangedAreas(args);
      // Warm precopy: disk 0's changed areas are in the staging file, their completion not yet recorded.
      if (fault.at === "midPrecopy" && once(diskOf(fault.vm, args.stagingPath, 0))) crash("midPrecopy");
      return result;
    },
    writeAreas: async (args) => {
      await disk.writeAreas(args);
      // Warm precopy after precopy 0 (which verified every chunk of the image): damage disk 0's target image
      // inside the first range just written, where a read-back must catch it.
      if (fault.at === "corruptTargetDelta" && args.areas.length > 0 && once(diskOf(fault.vm, args.dest, 0))) await damageImage(args.dest, args.destFormat, args.areas[0].start);
      // Warm cutover: the final delta is in disk 0's target image, its precopy entry not yet recorded done.
      if (fault.at === "afterFinalDelta" && cutover.finalSnapshot && once(diskOf(fault.vm, args.dest, 0))) crash("afterFinalDelta");
    },
    checkImageChunks: async (args) => {
      // Warm, after the target VM is Ready: disk 0's sha256 is about to be taken from its staging file.
      const stagingHash = args.format === "raw" && args.image === args.stagingPath && diskOf(fault.vm, args.image, 0);
      if (fault.at === "beforeStagingSha256" && once(stagingHash)) crash("beforeStagingSha256");
      if (fault.at === "corruptStagingBeforeSha256" && once(stagingHash)) await flipByte(args.image, 600);
      return disk.checkImageChunks(args);
    },
    convert: async (args) => {
      const mine = diskOf(fault.vm, args.src);
      if (fault.at === "midConvert" && once(mine)) {
        const running = disk.convert(args);
        // Crash while qemu-img writes its output (the .partial file exists, the converted file does not yet).
        for (let i = 0; i < 5000 && !existsSync(`${args.dest}.partial`); i++) await new Promise((r) => setTimeout(r, 1));
        if (existsSync(args.dest)) throw new Error(`midConvert: the conversion of ${args.src} finished before the crash; use a larger disk`);
        void running;
        crash("midConvert");
      }
      await disk.convert(args);
      if (fault.at === "afterConvert" && once(mine)) crash("afterConvert");
    },
  };
}

function faultyProviders(factories: ProviderFactories, fault: FaultConfig, once: (hit: boolean) => boolean, cutover: { finalSnapshot: boolean }): ProviderFactories {
  const source: ProviderFactories["source"] = {};
  for (const [type, make] of Object.entries(factories.source)) {
    if (make) source[type] = async (cfg) => faultySource(await make(cfg), fault, once, cutover);
  }
  const target: ProviderFactories["target"] = {};
  for (const [type, make] of Object.entries(factories.target)) {
    if (make) target[type] = async (cfg) => faultyTarget(await make(cfg), fault, once);
  }
  return { source, target };
}

function faultySource(inner: SourceProvider, fault: FaultConfig, once: (hit: boolean) => boolean, cutover: { finalSnapshot: boolean }): SourceProvider {
  const names = new Map<string, string>();
  return override<SourceProvider>(inner, {
  prepareExport: async (vm, options) => {
    const session = await inner.prepareExport(vm, options);
    names.set(vm.id, vm.name);
    const mine = vm.name === fault.vm;
    if (fault.at === "afterShutdown" && options.mode === "cold" && once(mine)) crash("afterShutdown");
    if (fault.at === "afterSnapshot" && options.mode === "snapshot" && once(mine)) crash("afterSnapshot");
    // Warm cutover: the source is off and the final precopy's snapshot exists, nothing copied from it yet.
    const finalSnapshot = options.mode === "snapshot" && vm.powerState === "poweredOff" && options.snapshotName?.startsWith("landfall-precopy-");
    if (fault.at === "afterFinalSnapshot" && finalSnapshot && once(mine)) crash("afterFinalSnapshot");
    if (finalSnapshot && mine) cutover.finalSnapshot = true;
    if (fault.at === "fillPool" && once(mine)) await fill(fault.poolPath as string, fault.leaveBytes ?? 0);
    return session;
  },
  openDisk: async (session, d) => {
    const reader = await inner.openDisk(session, d);
    const firstDiskOfMine = names.get(session.vmID) === fault.vm && d.key === session.disks[0]?.key;
    if (!firstDiskOfMine) return reader;
    if (fault.at === "resetMidDisk") return resettingReader(reader, once);
    if (fault.at === "stallMidDisk") return stallingReader(reader, once);
    if (fault.at === "shortReadMidDisk") return truncatingReader(reader);
    return reader;
  },
  finishExport: async (session, options) => {
    await inner.finishExport(session, options);
    if (fault.at === "beforeSucceeded" && once(names.get(session.vmID) === fault.vm)) crash("beforeSucceeded");
  },
  });
}

function faultyTarget(inner: TargetProvider, fault: FaultConfig, once: (hit: boolean) => boolean): TargetProvider {
  return override<TargetProvider>(inner, {
    importDisk: async (request) => {
      // After Converting read disk 0's image back and recorded it, before the import moves it: damage it in place.
      if (fault.at === "damageBeforeImport" && once(request.diskID.startsWith(`${fault.vm}-disk0`))) await damageImage(request.sourcePath, request.sourceFormat, 600);
      const vol = await inner.importDisk(request);
      if (fault.at === "afterImport" && once(request.diskID.startsWith(`${fault.vm}-disk`))) crash("afterImport");
      if (fault.at === "holdAfterImport" && once(request.diskID.startsWith(`${fault.vm}-disk`))) await hold("afterImport", fault.releaseFile);
      return vol;
    },
    createVM: async (spec) => {
      const vm = await inner.createVM(spec);
      if (fault.at === "afterDefine" && once(spec.name === fault.vm || spec.name.endsWith(`--${fault.vm}`))) crash("afterDefine");
      return vm;
    },
  });
}

/** inner with some methods replaced; every other member is inner's own, bound to it (private fields work). */
function override<T extends object>(inner: T, overrides: Partial<T>): T {
  return new Proxy(inner, {
    get(target, key) {
      if (key in overrides) return overrides[key as keyof T];
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A reader whose stream reaching past the middle of the disk dies once with ECONNRESET, as a dropped connection does. */
function resettingReader(reader: DiskReader, once: (hit: boolean) => boolean): DiskReader {
  return faultPastMiddle(reader, once, async (at) => {
    process.stderr.write(`faulty-serve: ECONNRESET injected at offset ${at}\n`);
    throw Object.assign(new Error(`read ECONNRESET at offset ${at} (injected by the test composition)`), { code: "ECONNRESET" });
  });
}

/** A reader whose stream reaching past the middle of the disk stops sending bytes once, and never resumes. */
function stallingReader(reader: DiskReader, once: (hit: boolean) => boolean): DiskReader {
  return faultPastMiddle(reader, once, async (at) => {
    process.stderr.write(`faulty-serve: stall injected at offset ${at}\n`);
    await new Promise(() => undefined);
  });
}

/** reader, except that the first chunk reaching past the middle of the disk (once says so) waits for fault(offset). */
function faultPastMiddle(reader: DiskReader, once: (hit: boolean) => boolean, fault: (at: number) => Promise<void>): DiskReader {
  return {
    sizeBytes: reader.sizeBytes,
    close: () => reader.close(),
    async *readRange(offset, length, signal) {
      let at = offset;
      for await (const chunk of reader.readRange(offset, length, signal)) {
        if (at + chunk.length > reader.sizeBytes / 2 && once(true)) await fault(at);
        at += chunk.length;
        yield chunk;
      }
    },
  };
}

/** A reader that, every time, ends a range reaching past the middle of the disk half-way: a short read. */
function truncatingReader(reader: DiskReader): DiskReader {
  const middle = Math.floor(reader.sizeBytes / 2);
  return {
    sizeBytes: reader.sizeBytes,
    close: () => reader.close(),
    async *readRange(offset, length, signal) {
      const end = offset + length > middle && offset < middle ? middle : offset + length;
      let at = offset;
      for await (const chunk of reader.readRange(offset, length, signal)) {
        if (at >= end) break;
        const piece = chunk.subarray(0, Math.min(chunk.length, end - at));
        at += piece.length;
        yield piece;
      }
      if (end < offset + length) process.stderr.write(`faulty-serve: short read injected at offset ${offset} (${end - offset} of ${length} bytes)\n`);
    },
  };
}

async function flipByte(path: string, offset: number): Promise<void> {
  const fh = await open(path, "r+");
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, offset);
    b[0] ^= 0xff;
    await fh.write(b, 0, 1, offset);
  } finally {
    await fh.close();
  }
}

/** Overwrites the 512 guest bytes at `offset` (rounded down to a sector) of an image of any format with 0x5a. */
async function damageImage(path: string, format: string, offset: number): Promise<void> {
  const sector = Math.floor(offset / 512) * 512;
  execFileSync("qemu-io", ["-f", format, "-c", `write -P 0x5a ${sector} 512`, path], { stdio: "ignore" });
  process.stderr.write(`faulty-serve: damaged ${path} at guest byte ${sector}\n`);
}

/** Fills the filesystem holding dir until at most leaveBytes are free (a filler file the test removes). */
async function fill(dir: string, leaveBytes: number): Promise<void> {
  const s = await statfs(dir);
  const free = s.bavail * s.bsize;
  const size = Math.max(0, free - leaveBytes);
  const fh = await open(join(dir, "filler.bin"), "w");
  try {
    const chunk = Buffer.alloc(1 << 20, 0xaa);
    for (let done = 0; done < size; done += chunk.length) await fh.write(chunk, 0, Math.min(chunk.length, size - done));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    await fh.close();
  }
  await stat(join(dir, "filler.bin"));
}
