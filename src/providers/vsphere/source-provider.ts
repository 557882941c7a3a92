// The vSphere SourceProvider: inventory over the PropertyCollector, exports (cold or snapshot), and disk
// bytes over the datastore file API. Credentials stay inside the SOAP client's Login body.
import { tmpdir } from "node:os";
import type { DiskReader, ExportSession, OpenDiskOptions, ProviderHealth, SourceDisk, SourceProvider, SourceVM, VMRef } from "../contract.ts";
import { openComposedDisk } from "./chain-disk-reader.ts";
import { downloadDatastoreFile } from "./datastore-download.ts";
import { HttpDatastoreFiles } from "./datastore-files.ts";
import { parseDatastorePath } from "./datastore-path.ts";
import { planChainRead } from "./disk-chain.ts";
import { resolveChain } from "./disk-chain-resolve.ts";
import { SourceProviderError, isFault, notFound } from "./errors.ts";
import { type ExportTimeouts, finish, powerOn, prepare } from "./export-session.ts";
import { classifyFailure, redact } from "./health.ts";
import { type ObjectProperties, retrieveContainer, retrieveOne } from "./property-collector.ts";
import { VsphereClient } from "./soap-client.ts";
import { type MoRef, moRef, moRefOf, text } from "./soap-xml.ts";
import type { TlsOptions } from "./tls-trust.ts";
import { openNfcDisk } from "./nfc-export.ts";
import { openFlatLayer } from "./vmdk-disk-reader.ts";
import { devicesOf, disksOf, isTemplate, mapVM, portgroupKeysOf, VM_PROPERTIES } from "./vm-mapping.ts";

/** datastore: the datastore file API (+ local composition of delta chains); nfc: ExportVm leases; auto: datastore, NFC per disk it cannot read. */
export type DiskTransport = "datastore" | "nfc" | "auto";

export interface VsphereSourceOptions {
  /** https://vcenter.example.com/sdk */
  endpoint: string;
  username: string;
  password: string;
  tls?: TlsOptions;
  /** Datacenter whose VMs are listed and whose datastores are read; optional when there is only one. */
  datacenter?: string;
  /** How long check() may take in all (default 10 s). */
  checkTimeoutMs?: number;
  /** How long a guest may take to shut down before it is powered off (default 5 min). */
  shutdownTimeoutMs?: number;
  /** Provider spec.transport (default datastore). */
  transport?: DiskTransport;
  /** Where delta layers and NFC downloads are kept while a disk is read when openDisk names no scratchDir (default the OS temp directory). */
  scratchDir?: string;
}

interface Datacenter {
  name: string;
  vmFolder: MoRef;
}

export function createVsphereSource(options: VsphereSourceOptions): SourceProvider {
  return new VsphereSource(options);
}

class VsphereSource implements SourceProvider {
  readonly type = "vsphere";
  private readonly options: VsphereSourceOptions;
  private readonly client: VsphereClient;
  private readonly timeouts: ExportTimeouts;
  private session: Promise<void> | undefined;
  private datacenter: Promise<Datacenter | undefined> | undefined;

  constructor(options: VsphereSourceOptions) {
    this.options = options;
    this.client = new VsphereClient({ endpoint: options.endpoint, tls: options.tls });
    this.timeouts = { shutdownMs: options.shutdownTimeoutMs ?? 5 * 60_000, pollMs: 1000 };
  }

  /** Runs `fn` in a logged-in session, logging in again once if the session expired. */
  private async inSession<T>(fn: () => Promise<T>): Promise<T> {
    try {
      await this.login();
      try {
        return await fn();
      } catch (err) {
        if (!isFault(err, "NotAuthenticated")) throw err;
        this.session = undefined;
        await this.login();
        return await fn();
      }
    } catch (err) {
      throw this.redacted(err);
    }
  }

  private login(): Promise<void> {
    if (!this.session) {
      this.session = this.client.login(this.options.username, this.options.password).catch((err) => {
        this.session = undefined;
        throw err;
      });
    }
    return this.session;
  }

  private redacted(err: unknown): unknown {
    if (err instanceof Error) err.message = redact(err.message, [this.options.password]);
    return err;
  }

  /** The configured datacenter, or the only one; undefined when several exist and none is configured. */
  private resolveDatacenter(): Promise<Datacenter | undefined> {
    this.datacenter ??= (async () => {
      const all = await retrieveContainer(this.client, { type: "Datacenter", pathSet: ["name", "vmFolder"] });
      const dcs = all.map((o) => ({ name: text(o.props.name), vmFolder: moRefOf(o.props.vmFolder) }));
      const wanted = this.options.datacenter;
      if (wanted) {
        const dc = dcs.find((d) => d.name === wanted);
        if (!dc) throw notFound(`datacenter "${wanted}" not found at ${this.client.url.origin}; it has: ${dcs.map((d) => d.name).join(", ")}`);
        return dc;
      }
      return dcs.length === 1 ? dcs[0] : undefined;
    })().catch((err) => {
      this.datacenter = undefined;
      throw err;
    });
    return this.datacenter;
  }

  async check(): Promise<ProviderHealth> {
    const timeoutMs = this.options.checkTimeoutMs ?? 10_000;
    const warnings: NonNullable<ProviderHealth["warnings"]> = [];
    if (this.options.tls?.insecureSkipVerify && !this.options.tls.thumbprint) {
      warnings.push({
        type: "InsecureTLS",
        reason: "InsecureSkipVerify",
        message: "tls.insecureSkipVerify is set: the server's certificate is not verified; pin it with tls.thumbprint instead",
      });
    }
    // A fresh client: the check proves the stored credentials and trust settings, not a cached session.
    let probe: VsphereClient | undefined;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      probe = new VsphereClient({ endpoint: this.options.endpoint, tls: this.options.tls, connectTimeoutMs: timeoutMs });
      const sc = await probe.serviceContent(signal);
      await probe.login(this.options.username, this.options.password, signal);
      const vms = await retrieveContainer(probe, { type: "VirtualMachine", pathSet: ["name"] }, signal);
      return {
        ready: true,
        reason: "Connected",
        message: `logged in to ${sc.about.fullName || probe.url.origin} as "${this.options.username}"; ${vms.length} VMs visible`,
        warnings,
        version: sc.about.fullName || sc.about.apiVersion,
        thumbprint: probe.trust.lastThumbprint(),
      };
    } catch (err) {
      const { reason, message } = classifyFailure(err, this.options.endpoint, timeoutMs);
      const health: ProviderHealth = { ready: false, reason, message: redact(message, [this.options.password]), warnings };
      const seen = probe?.trust.lastThumbprint();
      if (seen) health.thumbprint = seen;
      return health;
    } finally {
      await probe?.close().catch(() => undefined);
    }
  }

  async listVMs(): Promise<SourceVM[]> {
    return this.inSession(async () => {
      const dc = await this.resolveDatacenter().catch((err) => {
        if (this.options.datacenter) throw err;
        return undefined;
      });
      const objects = await retrieveContainer(this.client, { root: dc?.vmFolder, type: "VirtualMachine", pathSet: VM_PROPERTIES });
      const vms = objects.filter((o) => !isTemplate(o.props));
      const names = await this.portgroupNames(vms);
      return vms.map((o) => mapVM(o.obj.value, o.props, names)).sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  /** Names of the distributed portgroups NICs refer to by key; empty when none do. */
  private async portgroupNames(vms: ObjectProperties[]): Promise<Map<string, string>> {
    const keys = new Set(vms.flatMap((o) => portgroupKeysOf(devicesOf(o.props["config.hardware.device"]))));
    if (keys.size === 0) return new Map();
    const pgs = await retrieveContainer(this.client, { type: "DistributedVirtualPortgroup", pathSet: ["key", "name"] });
    return new Map(pgs.map((pg) => [text(pg.props.key), text(pg.props.name)]));
  }

  async getVM(ref: VMRef): Promise<SourceVM> {
    if (ref.id) {
      const id = ref.id;
      return this.inSession(async () => {
        let props: ObjectProperties["props"];
        try {
          props = await retrieveOne(this.client, moRef("VirtualMachine", id), VM_PROPERTIES);
        } catch (err) {
          if ((err as { code?: string }).code === "NotFound") throw notFound(`VM with id "${id}" not found at ${this.client.url.origin}`);
          throw err;
        }
        const names = await this.portgroupNames([{ obj: moRef("VirtualMachine", id), props }]);
        return mapVM(id, props, names);
      });
    }
    if (!ref.name) throw new SourceProviderError("SourceError", "getVM needs a VM name or id");
    const matches = (await this.listVMs()).filter((vm) => vm.name === ref.name);
    if (matches.length === 0) throw notFound(`VM "${ref.name}" not found at ${this.client.url.origin}`);
    if (matches.length > 1) {
      throw new SourceProviderError(
        "SourceError",
        `${matches.length} VMs are named "${ref.name}" (${matches.map((m) => m.id).join(", ")}); refer to one by id`,
      );
    }
    return matches[0];
  }

  async prepareExport(vm: SourceVM, options: { mode: "cold" | "snapshot"; snapshotName?: string }): Promise<ExportSession> {
    return this.inSession(() => prepare(this.client, vm, options.mode, this.timeouts, options.snapshotName));
  }

  async openDisk(session: ExportSession, disk: SourceDisk, options: OpenDiskOptions = {}): Promise<DiskReader> {
    return this.inSession(async () => {
      const toRead = await this.diskAsExported(session, disk);
      const transport = this.options.transport ?? "datastore";
      if (transport === "nfc") return this.openNfc(session, toRead, options);
      try {
        return await this.openOverDatastore(toRead, options);
      } catch (err) {
        if (transport !== "auto" || (err as { code?: string }).code !== "NotSupported") throw err;
        return this.openNfc(session, toRead, options);
      }
    });
  }

  private scratchRoot(options: OpenDiskOptions): string {
    return options.scratchDir ?? this.options.scratchDir ?? tmpdir();
  }

  /**
   * The disk as the export reads it: with a snapshot, the device with the same key as the snapshot's own
   * configuration references it (its frozen file; the VM itself now writes to a newer delta); without, the
   * VM's current state (its top file, composed with every parent).
   */
  private async diskAsExported(session: ExportSession, disk: SourceDisk): Promise<SourceDisk> {
    if (!session.snapshotID) return disk;
    const props = await retrieveOne(this.client, moRef("VirtualMachineSnapshot", session.snapshotID), ["config.hardware.device"]);
    const frozen = disksOf(devicesOf(props["config.hardware.device"])).find((d) => d.key === disk.key);
    if (!frozen) {
      throw new SourceProviderError("NotFound", `snapshot ${session.snapshotID} of VM ${session.vmID} has no disk with device key ${disk.key} (${disk.fileName}); the disk was added after the snapshot`);
    }
    return frozen;
  }

  private async datastoreFiles(): Promise<{ files: HttpDatastoreFiles; datacenter: string }> {
    const dc = await this.resolveDatacenter();
    if (!dc) {
      throw new SourceProviderError("SourceError", `several datacenters exist at ${this.client.url.origin}: set the Provider's datacenter`);
    }
    return { files: new HttpDatastoreFiles(this.client, dc.name), datacenter: dc.name };
  }

  private async openOverDatastore(disk: SourceDisk, options: OpenDiskOptions): Promise<DiskReader> {
    const { files, datacenter } = await this.datastoreFiles();
    const chain = await resolveChain(files, parseDatastorePath(disk.fileName), options.signal);
    const plan = planChainRead(chain, disk.capacityBytes, disk.fileName);
    if (plan.kind === "raw") return openFlatLayer(files, chain[0], disk.capacityBytes);
    return openComposedDisk(
      {
        download: (file, dest, signal) => downloadDatastoreFile(this.client, datacenter, file, dest, signal),
        openBase: async (layer) => openFlatLayer(files, layer, disk.capacityBytes),
      },
      chain,
      plan,
      disk.capacityBytes,
      this.scratchRoot(options),
      options.signal,
    );
  }

  /** NFC export of the snapshot's frozen disk in snapshot mode, of the powered-off VM's current disk otherwise. */
  private openNfc(session: ExportSession, disk: SourceDisk, options: OpenDiskOptions): Promise<DiskReader> {
    const entity = session.snapshotID ? moRef("VirtualMachineSnapshot", session.snapshotID) : moRef("VirtualMachine", session.vmID);
    return openNfcDisk(this.client, entity, disk, { scratchRoot: this.scratchRoot(options), signal: options.signal });
  }

  /**
   * Fails with NotSupported (naming the file, its format and what to do) for a disk the configured transport
   * cannot read, so the migration fails in Validating instead of retrying a permanent condition.
   */
  async checkDisks(vm: SourceVM): Promise<void> {
    const transport = this.options.transport ?? "datastore";
    if (transport === "nfc") return;
    await this.inSession(async () => {
      const { files } = await this.datastoreFiles();
      for (const disk of vm.disks) {
        try {
          planChainRead(await resolveChain(files, parseDatastorePath(disk.fileName)), disk.capacityBytes, disk.fileName);
        } catch (err) {
          if ((err as { code?: string }).code !== "NotSupported" || transport !== "auto") throw err;
        }
      }
    });
  }

  async finishExport(session: ExportSession, options: { restorePower: boolean }): Promise<void> {
    return this.inSession(() => finish(this.client, session, options.restorePower));
  }

  async powerOn(vmID: string): Promise<void> {
    return this.inSession(() => powerOn(this.client, vmID));
  }

  async close(): Promise<void> {
    this.session = undefined;
    await this.client.close();
  }
}
