// The NFC export path (what govc and ovftool use): ExportVm (a powered-off VM's current disks) or
// ExportSnapshot (the disks a snapshot froze, VM running or not) gives an HttpNfcLease whose deviceUrls serve
// each disk as a streamOptimized VMDK. The lease is kept alive with HttpNfcLeaseProgress while the disk
// downloads into a scratch directory, completed afterwards and aborted on any failure; qemu-img turns the
// download into raw bytes, which the pipeline reads and hashes like any other disk. A streamOptimized
// stream cannot be resumed at an offset: an interrupted disk is downloaded again from the start.
import { mkdtemp, open, rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { runTool, timeoutForBytes } from "../../disk/run-tool.ts";
import type { DiskReader, SourceDisk } from "../contract.ts";
import { ComposedDiskReader } from "./chain-disk-reader.ts";
import { downloadUrl } from "./datastore-download.ts";
import { SourceProviderError } from "./errors.ts";
import { retrieveOne } from "./property-collector.ts";
import type { VsphereClient } from "./soap-client.ts";
import { asArray, type MoRef, moRefOf, num, text, type XmlNode, xsiType } from "./soap-xml.ts";
import { devicesOf } from "./vm-mapping.ts";

export interface NfcOptions {
  scratchRoot: string;
  /** How long the lease may take to become ready (default 10 min). */
  readyTimeoutMs?: number;
  signal?: AbortSignal;
}

/** The deviceUrl key part ESXi gives a disk: "<ControllerType><bus>:<unit>", e.g. "VirtualLsiLogicController0:0". Pure. */
export function deviceUrlSuffix(devices: XmlNode[], diskKey: number): string | undefined {
  const disk = devices.find((d) => num(d.key) === diskKey);
  if (!disk) return undefined;
  const controller = devices.find((d) => num(d.key) === num(disk.controllerKey));
  if (!controller) return undefined;
  return `${xsiType(controller)}${num(controller.busNumber)}:${num(disk.unitNumber)}`;
}

async function waitReady(client: VsphereClient, lease: MoRef, timeoutMs: number, signal?: AbortSignal): Promise<XmlNode> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    const props = await retrieveOne(client, lease, ["state", "info", "error"], signal);
    const state = text(props.state);
    if (state === "ready") return props.info;
    if (state === "error" || state === "done") {
      throw new SourceProviderError("SourceError", `NFC export lease ${lease.value} is ${state}: ${text(props.error?.localizedMessage) || "no reason given"}`);
    }
    if (Date.now() > deadline) throw new SourceProviderError("Timeout", `NFC export lease ${lease.value} was not ready within ${timeoutMs} ms`);
    await sleep(delay, undefined, { signal });
  }
}

/** Exports `disk` of `entity`: a VirtualMachine (ExportVm) or a VirtualMachineSnapshot (ExportSnapshot). */
export async function openNfcDisk(client: VsphereClient, entity: MoRef, disk: SourceDisk, options: NfcOptions): Promise<DiskReader> {
  const props = await retrieveOne(client, entity, ["config.hardware.device"], options.signal);
  const suffix = deviceUrlSuffix(devicesOf(props["config.hardware.device"]), disk.key);
  if (!suffix) throw new SourceProviderError("SourceError", `disk ${disk.fileName} (device key ${disk.key}) has no controller in ${entity.type} ${entity.value}`);
  const method = entity.type === "VirtualMachineSnapshot" ? "ExportSnapshot" : "ExportVm";
  const lease = moRefOf(await client.call(method, entity, {}, options.signal));
  const dir = await mkdtemp(join(options.scratchRoot, "landfall-vsphere-nfc-"));
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  try {
    const info = await waitReady(client, lease, options.readyTimeoutMs ?? 10 * 60_000, options.signal);
    const urls = asArray(info.deviceUrl);
    const entry = urls.find((u) => text(u.key).endsWith(`/${suffix}`));
    if (!entry) {
      throw new SourceProviderError("SourceError", `NFC export lease ${lease.value} has no deviceUrl for ${suffix} (disk ${disk.fileName}); it offers ${urls.map((u) => text(u.key)).join(", ")}`);
    }
    const url = new URL(text(entry.url).replace("://*", `://${client.url.host}`));
    const total = num(entry.fileSize);
    let done = 0;
    // ESXi ends a lease that hears nothing for leaseTimeout seconds; report well within it.
    const everyMs = Math.max(1000, Math.min(30_000, (num(info.leaseTimeout) * 1000) / 3 || 30_000));
    keepAlive = setInterval(() => {
      const percent = total > 0 ? Math.min(99, Math.floor((done / total) * 100)) : 0;
      client.call("HttpNfcLeaseProgress", lease, { percent }).catch(() => undefined);
    }, everyMs);
    const vmdk = join(dir, text(entry.targetId) || "disk.vmdk");
    const got = await downloadUrl(client, url, `NFC export of disk ${disk.fileName} (${text(entry.targetId)})`, vmdk, {
      signal: options.signal,
      onBytes: (n) => {
        done = n;
      },
    });
    clearInterval(keepAlive);
    keepAlive = undefined;
    await client.call("HttpNfcLeaseComplete", lease, {}, options.signal);
    const raw = join(dir, "disk.raw");
    await runTool("qemu-img", ["convert", "-f", "vmdk", "-O", "raw", vmdk, raw], { timeoutMs: timeoutForBytes(disk.capacityBytes), signal: options.signal });
    await rm(vmdk, { force: true });
    const fh = await open(raw);
    const size = (await fh.stat().finally(() => fh.close())).size;
    if (size !== disk.capacityBytes) {
      throw new SourceProviderError("SourceError", `NFC export of disk ${disk.fileName} holds ${size} bytes, the device ${disk.capacityBytes}`);
    }
    return new ComposedDiskReader(raw, [{ start: 0, end: size, source: "local" }], undefined, size, dir, {
      transport: "nfc",
      chain: [{ file: `${text(entry.key)} (${text(entry.targetId)})`, format: "streamOptimized", sha256: got.sha256 }],
    });
  } catch (err) {
    if (keepAlive) clearInterval(keepAlive);
    await client.call("HttpNfcLeaseAbort", lease, {}).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    if (err instanceof SourceProviderError || options.signal?.aborted) throw err;
    throw new SourceProviderError("SourceError", `NFC export of disk ${disk.fileName} (lease ${lease.value}): ${(err as Error).message}`, { cause: err });
  }
}
