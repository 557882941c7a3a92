// The libvirt TargetProvider: storage pool, disk import (qemu-img), domains (virsh). Decisions live in pure
// modules (domain-xml, power; path confinement in disk/confinement.ts); this file sequences the commands and
// maps libvirt's errors. Every file it creates in the pool is made by landfall itself, never through a symlink.
import { lstat, mkdir, rename, rm, statfs } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { libvirtURIProblem } from "../../api/libvirt-uri.ts";
import { confineImageChain } from "../../disk/backing-chain.ts";
import { createNoFollow, isSafeDiskID, liesWithin, resolveExisting } from "../../disk/confinement.ts";
import { imageSha256 } from "../../disk/checksum.ts";
import { imageSha256FromStaging, readBackWhere, stagingSha256 } from "../../disk/staging-proof.ts";
import { convertFile, createOverlayImage, type ImageInfo, imageInfo, resizeImage } from "../../disk/convert.ts";
import { Semaphore, ToolRunner } from "../../disk/run-tool.ts";
import type {
  SourceBytes,
  GuestAgentInfo,
  ImportDiskRequest,
  ImportedVolume,
  ProviderHealth,
  TargetProvider,
  TargetPowerState,
  TargetStorage,
  TargetVM,
  TargetVMSpec,
} from "../contract.ts";
import {
  capabilitiesOfferKvm,
  chooseRemoteVirtType,
  chooseVirtType,
  isLocalURI,
  probeHost,
  type VirtTypeChoice,
  type VirtTypeSetting,
} from "./accelerator.ts";
import {
  buildDomainXML,
  LABELS_NAMESPACE,
  LABELS_PREFIX,
  labelsElementXML,
  parseDomainXML,
  validateSpec,
} from "./domain-xml.ts";
import { LibvirtError } from "./errors.ts";
import { AGENT_COMMANDS, hostnameFrom, ipAddressesFrom, osInfoFrom } from "./guest-agent.ts";
import { LISTED_STATES, powerCommandFor, powerStateFromDomstate } from "./power.ts";
import { isNotFound, poolTargetPath, Virsh } from "./virsh.ts";

export interface LibvirtTargetOptions {
  /** libvirt connection URI, e.g. qemu:///system. */
  uri: string;
  /** Name of the `dir` storage pool disks are imported into (created when missing). */
  storagePool: string;
  /** Directory of that pool; every file the provider writes or deletes lies inside it or an extra pool. */
  storagePoolPath: string;
  /** Extra `dir` pools (Provider spec.storagePools) that importDisk and ensureStorage may name. */
  storagePools?: Array<{ name: string; path: string }>;
  /** Where guests' serial consoles are logged, one `<domain>.log` each. */
  consoleLogDir?: string;
  /** Accelerator: kvm, qemu (TCG), or auto (default): KVM only with hardware virtualization (accelerator.ts). */
  virtType?: VirtTypeSetting;
  /** Bound on concurrent virsh/qemu-img processes (default 4). */
  maxConcurrentProcesses?: number;
  /** Timeout of one qemu-img convert (default 6 h: real disks are large). */
  convertTimeoutMs?: number;
}

export const DEFAULT_CONSOLE_LOG_DIR = "/var/log/landfall/console";
const FORMAT_RE = /^[a-z0-9]+$/;
/** How long a healthy check() answer, and a pool found defined, running and where it belongs, is reused. */
const HEALTHY_FOR_MS = 2_000;

export function createLibvirtTarget(options: LibvirtTargetOptions): TargetProvider {
  return new LibvirtTarget(options);
}

/** Label writes in flight, by domain UUID, across every target instance in this process (see setLabels). */
const labelWrites = new Map<string, Promise<void>>();

class LibvirtTarget implements TargetProvider {
  readonly type = "libvirt";
  readonly #options: LibvirtTargetOptions;
  readonly #virsh: Virsh;
  /** Bounds virsh and qemu-img processes together. */
  readonly #runner: ToolRunner;
  readonly #poolPath: string;
  /** Every pool this provider may write to, by name: the default (storagePool) first, then storagePools. */
  readonly #pools: Map<string, string>;
  readonly #consoleLogDir: string;
  #virtType: Promise<VirtTypeChoice> | undefined;
  /** The last health answer (check), while it may be reused. */
  #health: { at: number; answer: Promise<ProviderHealth> } | undefined;
  /**
   * listVMs describes domains through half of the process slots: an inventory of a host with many domains never
   * makes a migration's or a VirtualMachine's virsh calls queue behind all of them.
   */
  readonly #listing: Semaphore;
  /** ensureStorage defines the pool at most once even when reconcilers call it concurrently. */
  readonly #storageLock = new Semaphore(1);
  /** When ensureStorage last found each pool defined at its path, running and autostarted (ms since the epoch). */
  readonly #poolsVerified = new Map<string, number>();

  constructor(options: LibvirtTargetOptions) {
    if (!options.storagePool) throw new LibvirtError("InvalidArgument", "libvirt target: storagePool must be set");
    // Defence in depth: the API refuses these URIs already, but a Provider may predate the rule.
    const uriProblem = libvirtURIProblem(options.uri);
    if (uriProblem) throw new LibvirtError("InvalidArgument", `libvirt target: spec.uri ${uriProblem}`);
    if (!options.storagePoolPath?.startsWith("/")) {
      throw new LibvirtError(
        "InvalidArgument",
        `libvirt target: storagePoolPath ${JSON.stringify(options.storagePoolPath)} must be an absolute directory`,
      );
    }
    this.#options = options;
    this.#runner = new ToolRunner(options.maxConcurrentProcesses ?? 4);
    this.#listing = new Semaphore(Math.max(1, Math.floor((options.maxConcurrentProcesses ?? 4) / 2)));
    this.#virsh = new Virsh(options.uri, this.#runner);
    this.#poolPath = resolve(options.storagePoolPath);
    this.#pools = new Map([[options.storagePool, this.#poolPath]]);
    for (const pool of options.storagePools ?? []) {
      if (this.#pools.has(pool.name) || !pool.path.startsWith("/")) {
        throw new LibvirtError("InvalidArgument", `libvirt target: storagePools entry "${pool.name}" (${pool.path}) must have its own name and an absolute directory`);
      }
      this.#pools.set(pool.name, resolve(pool.path));
    }
    this.#consoleLogDir = resolve(options.consoleLogDir ?? DEFAULT_CONSOLE_LOG_DIR);
  }

  /** Decided once per provider instance (the host does not change underneath it): locally from its kernel modules, remotely from libvirt's capabilities. */
  #accelerator(): Promise<VirtTypeChoice> {
    if (this.#virtType) return this.#virtType;
    const setting = this.#options.virtType ?? "auto";
    const choice = isLocalURI(this.#options.uri)
      ? probeHost().then((host) => chooseVirtType(setting, host))
      : this.#virsh.run(["capabilities"]).then((xml) => chooseRemoteVirtType(setting, capabilitiesOfferKvm(xml)));
    // A failed probe (remote host unreachable) is not remembered: the next call asks again.
    choice.catch(() => {
      if (this.#virtType === choice) this.#virtType = undefined;
    });
    this.#virtType = choice;
    return choice;
  }

  /**
   * Every VirtualMachine reconcile and every migration step asks; a healthy answer is reused for
   * HEALTHY_FOR_MS and calls made while one is in flight share it, so a fleet's reconciles do not start a
   * `virsh version` each. An unhealthy answer is never reused: the next call asks libvirt again. A daemon that
   * fails within the window fails the call that uses it, which reports and retries as before.
   */
  check(): Promise<ProviderHealth> {
    const now = Date.now();
    if (this.#health && now - this.#health.at < HEALTHY_FOR_MS) return this.#health.answer;
    const answer = this.#checkNow();
    this.#health = { at: now, answer };
    answer.then((h) => {
      if (!h.ready && this.#health?.answer === answer) this.#health = undefined;
    });
    return answer;
  }

  async #checkNow(): Promise<ProviderHealth> {
    try {
      const out = await this.#virsh.version();
      const library = /Using library: (.+)/.exec(out)?.[1]?.trim();
      const hypervisor = /Running hypervisor: (.+)/.exec(out)?.[1]?.trim();
      const version = [library, hypervisor].filter(Boolean).join(", ");
      const accelerator = await this.#accelerator();
      return {
        ready: true,
        reason: "Connected",
        message: `connected to ${this.#options.uri} (${version})`,
        version,
        virtType: { type: accelerator.virtType, reason: accelerator.reason },
      };
    } catch (error) {
      return { ready: false, reason: "Unreachable", message: `${this.#options.uri}: ${(error as Error).message}` };
    }
  }

  /**
   * The pool, defined (and built) when missing, at the path the Provider declares, running and autostarted, with its
   * filesystem's space. Every migration step asks; a pool found so is not asked of libvirt again for
   * HEALTHY_FOR_MS (two virsh processes per call), its space is always read afresh. A pool someone destroys within
   * the window fails the step that writes into it, which retries; the retry finds it again.
   */
  ensureStorage(pool: string = this.#options.storagePool): Promise<TargetStorage> {
    return this.#storageLock.run(async () => {
      const poolPath = this.#poolPathOf(pool);
      await mkdir(poolPath, { recursive: true });
      const verifiedAt = this.#poolsVerified.get(pool);
      if (verifiedAt === undefined || Date.now() - verifiedAt >= HEALTHY_FOR_MS) {
        await this.#verifyPool(pool, poolPath);
        this.#poolsVerified.set(pool, Date.now());
      }
      // A dir pool's capacity and available space are its filesystem's (libvirt computes them with statvfs too):
      // read here, not through a pool-refresh and a second pool-info (two more virsh processes per call).
      const fs = await statfs(poolPath);
      return { pool, path: poolPath, availableBytes: fs.bavail * fs.bsize, capacityBytes: fs.blocks * fs.bsize };
    });
  }

  async #verifyPool(pool: string, poolPath: string): Promise<void> {
    const info = await this.#virsh.poolInfo(pool).catch(async (error: unknown) => {
      if (!isNotFound(error)) throw error;
      await this.#virsh.definePoolDir(pool, poolPath);
      await this.#virsh.poolCommand(pool, "pool-build");
      return this.#virsh.poolInfo(pool);
    });
    const actualPath = poolTargetPath(await this.#virsh.poolXML(pool));
    if ((await resolveExisting(actualPath)) !== (await resolveExisting(poolPath))) {
      throw new LibvirtError(
        "InvalidArgument",
        `storage pool "${pool}" exists at ${actualPath}, but the Provider declares it at ${poolPath}: ` +
          "set the pool's path (storagePoolPath or storagePools[].path) to its directory or choose another pool name",
      );
    }
    if (info.state !== "running") await this.#virsh.poolCommand(pool, "pool-start");
    if (!info.autostart) await this.#virsh.poolCommand(pool, "pool-autostart");
  }

  async importDisk(request: ImportDiskRequest): Promise<ImportedVolume> {
    const target = await this.#volumePath(request.diskID, request.format, this.#poolPathOf(request.pool ?? this.#options.storagePool));
    if (!FORMAT_RE.test(request.sourceFormat)) {
      throw new LibvirtError("InvalidArgument", `importDisk sourceFormat "${request.sourceFormat}" is not a qemu format`);
    }
    // Convert into a hidden partial file and rename at the end: a crash never leaves a half-written
    // volume under the final name, so "target exists" always means "import finished".
    const partial = join(dirname(target), `.${request.diskID}.${request.format}.partial`);
    // The source is consumed only once the volume is in place: on any failure a moved source goes back where
    // it was, so a retried import still has its input.
    let moved = false;
    try {
      if (request.consumeSource && request.sourceFormat === request.format) moved = await this.#moveOrCopy(request.sourcePath, partial, request.format);
      else {
        await createNoFollow(partial);
        await this.#convert(request.sourcePath, request.sourceFormat, partial, request.format);
      }
      if (request.sizeBytes !== undefined) {
        const info = await this.#info(partial, request.format);
        if (request.sizeBytes > info.virtualSizeBytes) {
          await this.#runner.bounded(() => resizeImage(partial, request.format, request.sizeBytes as number));
        }
      }
      await rename(partial, target);
    } catch (error) {
      if (moved) await rename(partial, request.sourcePath).catch(() => undefined);
      else await rm(partial, { force: true });
      throw error;
    }
    if (request.consumeSource && !moved) await rm(request.sourcePath, { force: true });
    await this.#refreshPoolOf(target);
    return this.#describeVolume(request.diskID, target, request.format);
  }

  /**
   * Reads the volume back (confined to the pool first). Given the staging file it was made from: `qemu-img
   * compare` of the volume's guest bytes with it (zero regions by block status, data compared) beside the staging
   * file's sha256 (its sealed chunk digests checked, staging-proof.ts; else hashed whole) — identical bytes and the
   * source's sha256 prove the volume's sha256 is the source's, in about the time of the check alone. A raw volume
   * that is the staging file, renamed, is checked against the staging file's sealed digests (`digestsPath`) the same
   * way. Otherwise the guest-visible sha256 of the whole volume.
   */
  async verifyVolume(volume: ImportedVolume, signal?: AbortSignal, source?: SourceBytes): Promise<string> {
    const real = await this.#confined(volume.path, "verifyVolume");
    const staging = source && (await lstat(source.stagingPath).catch(() => undefined)) ? await this.#confined(source.stagingPath, "verifyVolume") : undefined;
    if (source?.digestsPath && (!staging || staging === real) && volume.format === "raw" && (await lstat(source.digestsPath).catch(() => undefined))) {
      // The volume is the staging file, renamed: its sealed digests prove it (else it is hashed whole).
      const digests = await this.#confined(source.digestsPath, "verifyVolume");
      return stagingSha256(real, signal, digests);
    }
    if (!source || !staging || staging === real) return imageSha256(real, volume.format, { signal });
    const found = await imageSha256FromStaging(real, volume.format, staging, { signal });
    if (found.sha256 === source.sha256) return source.sha256;
    // Damage: the volume's own sha256 beside the source's, and where it was found.
    throw new LibvirtError("ChecksumMismatch", `volume ${real} hashes to ${found.sha256}, the source's bytes to ${source.sha256}: ${readBackWhere(found, staging)}`);
  }

  async createOverlay(request: {
    diskID: string;
    backingPath: string;
    backingFormat: string;
    sizeBytes?: number;
  }): Promise<ImportedVolume> {
    const target = await this.#volumePath(request.diskID, "qcow2", this.#poolPath);
    if (!request.backingPath.startsWith("/")) {
      throw new LibvirtError("InvalidArgument", `createOverlay backingPath "${request.backingPath}" must be absolute`);
    }
    // Created under a hidden name landfall made itself (never through a planted link), then renamed into place.
    const partial = join(dirname(target), `.${request.diskID}.qcow2.partial`);
    try {
      await createNoFollow(partial);
      await this.#runner.bounded(() => createOverlayImage(partial, request.backingPath, request.backingFormat, request.sizeBytes));
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    await this.#refreshPoolOf(target);
    return this.#describeVolume(request.diskID, target, "qcow2");
  }

  async growDisk(path: string, format: string, sizeBytes: number): Promise<ImportedVolume> {
    const real = await this.#confined(path, "growDisk");
    // qemu-img resize opens the whole chain: every file of it must lie in the pools first.
    const chain = await confineImageChain("growDisk path", real, format, { pool: this.#options.storagePool, roots: [...this.#pools.values()] });
    if (!chain.ok) throw new LibvirtError("OutsideStorage", chain.message as string);
    let info = await this.#info(real, format);
    if (info.virtualSizeBytes < sizeBytes) {
      await this.#runner.bounded(() => resizeImage(real, format, sizeBytes));
      info = await this.#info(real, format);
      await this.#refreshPoolOf(real);
    }
    const diskID = basename(real).replace(/\.[^.]+$/, "");
    return { diskID, path: real, format, virtualSizeBytes: info.virtualSizeBytes };
  }

  async deleteDisk(path: string): Promise<void> {
    const real = await this.#confined(path, "deleteDisk");
    await rm(real, { force: true });
    await this.#refreshPoolOf(real);
  }

  async createVM(spec: TargetVMSpec): Promise<TargetVM> {
    validateSpec(spec);
    // One listing answers both questions (a defined name or UUID is refused: `virsh define` would replace it).
    const defined = await this.#virsh.listDomains();
    if (defined.some((d) => d.name === spec.name)) {
      throw new LibvirtError("AlreadyExists", `domain "${spec.name}" already exists on ${this.#options.uri}`);
    }
    if (spec.uuid && defined.some((d) => d.uuid === spec.uuid?.toLowerCase())) {
      throw new LibvirtError("AlreadyExists", `a domain with uuid ${spec.uuid} already exists on ${this.#options.uri}`);
    }
    await mkdir(this.#consoleLogDir, { recursive: true });
    const consoleLogPath = join(this.#consoleLogDir, `${spec.name}.log`);
    // A new domain starts with an empty console: a log left by an earlier domain of the same name would
    // otherwise show output this guest never printed.
    await rm(consoleLogPath, { force: true });
    const { virtType } = await this.#accelerator();
    await this.#virsh.define(buildDomainXML(spec, { domainType: virtType, consoleLogPath }));
    // virsh define leaves a new domain shut off: no domstate process to learn that.
    const vm = await this.#describeDomain({ name: spec.name }, "shutoff");
    if (!vm) throw new LibvirtError("NotFound", `domain "${spec.name}" vanished right after virsh define`);
    return vm;
  }

  getVM(ref: { uuid?: string; name?: string }): Promise<TargetVM | undefined> {
    return this.#describeDomain(ref);
  }

  /** The domain's definition and state; `knownState` (from a state listing) spares the domstate process. */
  async #describeDomain(ref: { uuid?: string; name?: string }, knownState?: TargetPowerState): Promise<TargetVM | undefined> {
    const id = ref.uuid ?? ref.name;
    if (!id) throw new LibvirtError("InvalidArgument", "getVM needs a uuid or a name");
    try {
      const parsed = parseDomainXML(await this.#virsh.dumpXML(id));
      // virsh resolves an identifier as id, UUID or name: insist on the kind of match that was asked for.
      if (ref.uuid ? parsed.vm.uuid.toLowerCase() !== ref.uuid.toLowerCase() : parsed.vm.name !== ref.name) {
        return undefined;
      }
      return await this.#completed(parsed, knownState);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** A parsed domain with its pool volumes' paths and its state (asked only when no listing gave it). */
  async #completed(parsed: ReturnType<typeof parseDomainXML>, knownState?: TargetPowerState): Promise<TargetVM> {
    for (const volume of parsed.volumes) {
      parsed.vm.disks[volume.diskIndex].path = await this.#virsh.volPath(volume.pool, volume.volume);
    }
    const state = knownState ?? powerStateFromDomstate(await this.#virsh.domstate(parsed.vm.uuid));
    return { ...parsed.vm, state };
  }

  async listVMs(): Promise<TargetVM[]> {
    // Three state listings answer every domain's state (a domstate per domain would be N more processes); a domain
    // in none of them (another state, or one that changed state between the listings) is asked on its own. The
    // definitions come from one virsh process per DUMPXML_BATCH domains, through half of the process slots.
    const [uuids, ...byState] = await Promise.all([this.#virsh.listUUIDs(), ...LISTED_STATES.map((s) => this.#virsh.listUUIDs(s))]);
    const states = new Map<string, TargetPowerState>();
    for (const [i, listed] of byState.entries()) for (const uuid of listed) states.set(uuid.toLowerCase(), LISTED_STATES[i]);
    const documents = await this.#listing.run(() => this.#virsh.dumpXMLs(uuids));
    const vms = await Promise.all(
      [...documents.values()].map((xml) =>
        this.#listing.run(async () => {
          const parsed = parseDomainXML(xml);
          // A domain that went away since its definition was read is no longer listed.
          return this.#completed(parsed, states.get(parsed.vm.uuid.toLowerCase())).catch((error: unknown) => {
            if (isNotFound(error)) return undefined;
            throw error;
          });
        }),
      ),
    );
    return vms.filter((vm): vm is TargetVM => vm !== undefined);
  }

  async countVMs(): Promise<{ vms: number; running: number }> {
    const [all, running] = await Promise.all([this.#virsh.listUUIDs(), this.#virsh.listUUIDs("running")]);
    return { vms: all.length, running: running.length };
  }

  async setPower(uuid: string, action: "start" | "shutdown" | "stop" | "reboot"): Promise<void> {
    const vm = await this.#mustGet(uuid);
    const command = powerCommandFor(vm.state, action);
    if (!command) return;
    try {
      await this.#virsh.power(uuid, command);
    } catch (error) {
      // The state may have changed between domstate and the command; the outcome is what was asked.
      const stderr = error instanceof LibvirtError ? error.stderr : "";
      if (/already (active|running)|is not running/i.test(stderr)) return;
      throw error;
    }
  }

  async setResources(uuid: string, resources: { cpus: number; memoryMiB: number }): Promise<void> {
    if (!Number.isInteger(resources.cpus) || resources.cpus < 1 || !Number.isInteger(resources.memoryMiB) || resources.memoryMiB < 16) {
      throw new LibvirtError("InvalidArgument", `setResources: cpus ${resources.cpus} and memoryMiB ${resources.memoryMiB} must be whole numbers ≥ 1 and ≥ 16`);
    }
    await this.#mustGet(uuid);
    // Each command edits one element of the persistent definition in place (maximum first, so the current
    // value always fits); the domain keeps its UUID, disks, NICs and metadata.
    const kib = String(resources.memoryMiB * 1024);
    await this.#virsh.run(["setvcpus", uuid, String(resources.cpus), "--config", "--maximum"]);
    await this.#virsh.run(["setvcpus", uuid, String(resources.cpus), "--config"]);
    await this.#virsh.run(["setmaxmem", uuid, kib, "--config"]);
    await this.#virsh.run(["setmem", uuid, kib, "--config"]);
  }

  async setLabels(uuid: string, labels: Record<string, string | null>): Promise<void> {
    for (const key of Object.keys(labels)) {
      if (!key) throw new LibvirtError("InvalidArgument", "setLabels: label keys must be non-empty");
    }
    // Read-merge-write of the domain's metadata: two writers at once (an unadopt removing labels while the VM
    // controller releases the domain) would each write back what the other removed. One at a time per domain.
    const previous = labelWrites.get(uuid) ?? Promise.resolve();
    const mine = previous.then(
      () => this.#mergeLabels(uuid, labels),
      () => this.#mergeLabels(uuid, labels),
    );
    const settled = mine.then(
      () => undefined,
      () => undefined,
    );
    labelWrites.set(uuid, settled);
    try {
      await mine;
    } finally {
      if (labelWrites.get(uuid) === settled) labelWrites.delete(uuid);
    }
  }

  async #mergeLabels(uuid: string, labels: Record<string, string | null>): Promise<void> {
    const vm = await this.#mustGet(uuid);
    const merged: Record<string, string> = { ...vm.labels };
    for (const [key, value] of Object.entries(labels)) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    // virsh metadata edits the element in place: the domain keeps its UUID and every other setting.
    const live = vm.state !== "shutoff" && vm.state !== "crashed";
    await this.#virsh.setMetadata(uuid, LABELS_NAMESPACE, LABELS_PREFIX, labelsElementXML(merged), {
      live,
      config: true,
    });
  }

  async deleteVM(uuid: string, options: { keepDisks: boolean }): Promise<void> {
    const vm = await this.getVM({ uuid });
    if (!vm) return;
    if (vm.state !== "shutoff") {
      await this.#virsh.power(uuid, "destroy").catch((error: unknown) => {
        if (!(error instanceof LibvirtError && /is not running/i.test(error.stderr))) throw error;
      });
    }
    await this.#virsh.undefine(uuid, { nvram: vm.firmware === "uefi" });
    if (options.keepDisks) return;
    for (const disk of vm.disks) {
      // Disks outside the pools belong to someone else (adopted VMs): never removed.
      const real = await resolveExisting(disk.path);
      if (await this.#poolOf(real)) {
        await rm(real, { force: true });
        await this.#refreshPoolOf(real);
      }
    }
  }

  async guestInfo(uuid: string, options: { timeoutMs: number }): Promise<GuestAgentInfo | undefined> {
    const seconds = String(Math.max(1, Math.ceil(options.timeoutMs / 1000)));
    const ask = async (command: string) =>
      this.#virsh.run(["qemu-agent-command", uuid, command, "--timeout", seconds], { timeoutMs: options.timeoutMs + 5_000 });
    let osinfo: string;
    try {
      osinfo = await ask(AGENT_COMMANDS.osinfo);
    } catch (error) {
      // Not running, no agent channel, or the agent not (yet) answering: all mean "no answer", not a failure.
      if (error instanceof LibvirtError && (error.code === "Timeout" || /agent|not running|timeout|not connected|Unable to/i.test(error.stderr))) return undefined;
      throw error;
    }
    const info: GuestAgentInfo = { ...osInfoFrom(osinfo), ipAddresses: [] };
    const hostname = await ask(AGENT_COMMANDS.hostname).then(hostnameFrom, () => undefined);
    if (hostname) info.hostname = hostname;
    info.ipAddresses = await ask(AGENT_COMMANDS.interfaces).then(ipAddressesFrom, () => []);
    return info;
  }

  async close(): Promise<void> {
    // Nothing held open: every call is its own virsh process.
  }

  async #mustGet(uuid: string): Promise<TargetVM> {
    const vm = await this.getVM({ uuid });
    if (!vm) throw new LibvirtError("NotFound", `no domain with uuid ${uuid} on ${this.#options.uri}`);
    return vm;
  }

  /**
   * `<pool>/<diskID>.<format>` in the pool's real directory, refusing unsafe IDs and any existing entry — a file
   * or a symlink (lstat: a dangling link planted at the name would otherwise be written through).
   */
  async #volumePath(diskID: string, format: string, poolPath: string): Promise<string> {
    if (!isSafeDiskID(diskID)) {
      throw new LibvirtError(
        "InvalidArgument",
        `diskID "${diskID}" must be letters, digits, '.', '_' or '-' (it becomes a file name in ${poolPath})`,
      );
    }
    if (!FORMAT_RE.test(format)) throw new LibvirtError("InvalidArgument", `disk format "${format}" is not a qemu format`);
    const poolReal = await resolveExisting(poolPath);
    const path = join(poolReal, `${diskID}.${format}`);
    const existing = await lstat(path).catch(() => undefined);
    if (existing?.isSymbolicLink()) {
      throw new LibvirtError("OutsideStorage", `volume ${path} is a symlink: landfall never writes through a link in its pool; remove it or choose another diskID`);
    }
    if (existing) {
      throw new LibvirtError("AlreadyExists", `volume ${path} already exists: delete it first or choose another diskID`);
    }
    return path;
  }

  async #confined(path: string, operation: string): Promise<string> {
    const real = await resolveExisting(path);
    if (!(await this.#poolOf(real))) {
      const others = [...this.#pools].slice(1).map(([name, dir]) => `"${name}" (${dir})`);
      throw new LibvirtError(
        "OutsideStorage",
        `${operation}: "${path}" is outside storage pool "${this.#options.storagePool}" (${this.#poolPath})` +
          `${others.length ? ` and the Provider's other pools ${others.join(", ")}` : ""}; landfall only changes or deletes files inside its pools`,
      );
    }
    return real;
  }

  /** The directory of a pool this provider declares; any other name is refused, naming the declared ones. */
  #poolPathOf(pool: string): string {
    const path = this.#pools.get(pool);
    if (path === undefined) {
      throw new LibvirtError(
        "InvalidArgument",
        `storage pool "${pool}" is not one of this Provider's pools (${[...this.#pools.keys()].map((n) => `"${n}"`).join(", ")}); add it to spec.storagePools or map the datastore to one of those`,
      );
    }
    return path;
  }

  /** The name of the declared pool whose real directory holds `real` (a resolved path), if any. */
  async #poolOf(real: string): Promise<string | undefined> {
    for (const [name, dir] of this.#pools) if (liesWithin(real, await resolveExisting(dir))) return name;
    return undefined;
  }

  /** Renames source to destination (true); across filesystems copies it sparsely and leaves the source (false). */
  async #moveOrCopy(source: string, destination: string, format: string): Promise<boolean> {
    // Renaming a symlink would import the link, not the file: a consumed source must be a regular file.
    if ((await lstat(source)).isSymbolicLink()) {
      throw new LibvirtError("OutsideStorage", `importDisk sourcePath "${source}" is a symlink; landfall only moves regular files into its pool`);
    }
    try {
      await rename(source, destination);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
      await createNoFollow(destination);
      await this.#convert(source, format, destination, format);
      return false;
    }
  }

  /** Refreshes the pool holding `path` (libvirt lists its volumes again). */
  async #refreshPoolOf(path: string): Promise<void> {
    const pool = (await this.#poolOf(await resolveExisting(path))) ?? this.#options.storagePool;
    // A pool that was never ensured has nothing to refresh; the file is in place either way.
    await this.#virsh.poolCommand(pool, "pool-refresh").catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
  }

  async #describeVolume(diskID: string, path: string, format: string): Promise<ImportedVolume> {
    const info = await this.#info(path, format);
    return { diskID, path, format, virtualSizeBytes: info.virtualSizeBytes };
  }

  #info(path: string, format: string): Promise<ImageInfo> {
    return this.#runner.bounded(() => imageInfo(path, { format }));
  }

  #convert(source: string, sourceFormat: string, target: string, targetFormat: string): Promise<void> {
    return this.#runner.bounded(() => convertFile(source, sourceFormat, target, targetFormat, { timeoutMs: this.#options.convertTimeoutMs ?? 6 * 3600_000 }));
  }
}
