// Starts the vcsim harness (test/harness/vcsim/main.go) for a test file or the demo: a real vSphere SOAP
// endpoint with enforced credentials, whose VMs' disks hold the bytes of the given content files.
// Each instance gets its own $TMPDIR, so its datastore lives under `tmpDir` and stop() removes it all.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash, randomBytes, randomFillSync, randomInt } from "node:crypto";
import { createReadStream } from "node:fs";
import { Agent, request } from "undici";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface VcsimDiskSpec {
  /** Absolute path of a raw image whose bytes become the disk's content. */
  contentPath: string;
  /** Guest-visible size; default: the content file's size. A multiple of 1024, at least the content's size. */
  capacityBytes?: number;
  /** flat (default): descriptor + -flat extent; one hosted sparse / streamOptimized VMDK; or a raw device mapping. */
  format?: "flat" | "monolithicSparse" | "streamOptimized" | "rdm";
  /** The flat extent keeps zero blocks as holes and the backing says thinProvisioned. */
  thin?: boolean;
  /** The simulator's datastore the disk's files live on: LocalDS_0 (default) or LocalDS_1. */
  datastore?: "LocalDS_0" | "LocalDS_1";
}

export interface VcsimVMSpec {
  /** A new VM, or an existing stock one (DC0_H0_VM0…) that gets the disks attached. */
  name: string;
  cpus?: number;
  memoryMiB?: number;
  firmware?: "bios" | "uefi";
  /** Default: new VMs off, stock VMs as they are (on). */
  powerOn?: boolean;
  guestId?: string;
  uuid?: string;
  disks?: VcsimDiskSpec[];
  /** Format of the deltas its snapshots create: vmfsSparse (default, as ESXi on VMFS5) or hosted sparse. */
  deltaFormat?: "vmfsSparse" | "monolithicSparse";
  nics?: Array<{ network?: string; mac?: string; model?: "vmxnet3" | "e1000" | "e1000e" | "vmxnet2" | "pcnet32" }>;
}

export interface VcsimSpec {
  username?: string;
  password?: string;
  vms?: VcsimVMSpec[];
  /** Seconds an NFC export lease lives without HttpNfcLeaseProgress (default 300). */
  nfcLeaseTimeoutSeconds?: number;
  /** Stock VMs on the standalone host and in the cluster each (default 2): 5000 makes a 10,000-VM inventory. */
  stockVMs?: number;
}

export interface Vcsim {
  /** https://127.0.0.1:PORT/sdk */
  url: string;
  username: string;
  password: string;
  /** SHA-256 of the server certificate, AA:BB:… */
  thumbprint: string;
  certificatePem: string;
  datastoreDir: string;
  datacenter: string;
  datastore: string;
  /** The simulator's $TMPDIR; removed by stop(). */
  tmpDir: string;
  pid: number;
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
export const VCSIM_BINARY = join(root, ".cache/vcsim/vcsim");

function run(cmd: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((ok, fail) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, _stdout, stderr) => {
      if (err) fail(new Error(`${cmd} ${args.join(" ")} failed: ${err.message}\n${stderr}`));
      else ok();
    });
  });
}

/** Builds the simulator when main.go changed (a no-op otherwise; `make setup` normally did it). */
export async function buildVcsim(): Promise<string> {
  await run(join(here, "build.sh"), [], 300_000);
  return VCSIM_BINARY;
}

export async function startVcsim(spec: VcsimSpec = {}, options: { timeoutMs?: number } = {}): Promise<Vcsim> {
  const binary = await buildVcsim();
  const tmpDir = await mkdtemp(join(tmpdir(), "landfall-vcsim-"));
  const specPath = join(tmpDir, "spec.json");
  await writeFile(specPath, JSON.stringify(spec));
  const child = spawn(binary, [specPath], {
    env: { ...process.env, TMPDIR: tmpDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((ok) => child.once("exit", () => ok()));
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(killer);
    }
    await rm(tmpDir, { recursive: true, force: true });
  };
  try {
    const ready = await readyLine(child, options.timeoutMs ?? 60_000, () => stderr);
    return { ...ready, tmpDir, pid: child.pid ?? -1, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

type ReadyLine = Omit<Vcsim, "tmpDir" | "pid" | "stop">;

function readyLine(child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<ReadyLine> {
  return new Promise((ok, fail) => {
    let out = "";
    const timer = setTimeout(() => done(new Error(`vcsim did not report ready within ${timeoutMs} ms; stderr:\n${stderr()}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl < 0) return;
      try {
        done(undefined, JSON.parse(out.slice(0, nl)) as ReadyLine);
      } catch (err) {
        done(new Error(`vcsim printed an unreadable ready line ${JSON.stringify(out.slice(0, 200))}: ${err}`));
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      done(new Error(`vcsim exited before ready (code ${code}, signal ${signal}); stderr:\n${stderr()}`));
    function done(err?: Error, value?: ReadyLine) {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      if (err) fail(err);
      else ok(value!);
    }
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
  });
}

/** Writes `sizeBytes` of random bytes (1 MiB at a time) and returns their sha256 hex. */
export async function writeRandomContent(path: string, sizeBytes: number): Promise<string> {
  const hash = createHash("sha256");
  const fh = await open(path, "w");
  try {
    const chunk = Buffer.alloc(1 << 20);
    for (let done = 0; done < sizeBytes; done += chunk.length) {
      const piece = chunk.subarray(0, Math.min(chunk.length, sizeBytes - done));
      randomFillSync(piece);
      hash.update(piece);
      await fh.write(piece);
    }
  } finally {
    await fh.close();
  }
  return hash.digest("hex");
}

/** sha256 hex of a file, padded with zeros to `sizeBytes` when given (a disk larger than its content). */
export async function sha256File(path: string, sizeBytes?: number): Promise<string> {
  const hash = createHash("sha256");
  let n = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    n += (chunk as Buffer).length;
  }
  const zero = Buffer.alloc(1 << 20);
  for (let left = (sizeBytes ?? n) - n; left > 0; left -= zero.length) hash.update(zero.subarray(0, Math.min(left, zero.length)));
  return hash.digest("hex");
}

/** Calls one of the harness's test controls (test/harness/vcsim/control.go); returns its JSON answer. */
async function control<T = Record<string, string>>(vcsim: Vcsim, path: string, body?: Uint8Array, method = "POST"): Promise<T> {
  const dispatcher = new Agent({ connect: { ca: vcsim.certificatePem } });
  try {
    const res = await request(new URL(path, vcsim.url), { method, body, dispatcher });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`vcsim control ${path}: HTTP ${res.statusCode}: ${text}`);
    return JSON.parse(text) as T;
  } finally {
    await dispatcher.close();
  }
}

/** Writes bytes into the VM's current disk layer at `offset`, as its guest would (a delta after a snapshot). */
export async function guestWrite(vcsim: Vcsim, vmName: string, diskKey: number, offset: number, data: Uint8Array): Promise<void> {
  await control(vcsim, `/harness/vms/${encodeURIComponent(vmName)}/disks/${diskKey}/write?offset=${offset}`, data);
}

/**
 * `count` random writes of 64–256 KiB of whole sectors through the guest, round robin over the VM's disks (`keys[i]`
 * is disk i, `contents[i]` the test's copy of it, updated to follow), none before `firstSector`. Returns the bytes
 * they cover: overlapping writes count once, as change tracking reports them.
 */
export async function guestWriteRandomly(vcsim: Vcsim, vmName: string, keys: number[], contents: Buffer[], count: number, firstSector = 0): Promise<number> {
  const extents: Array<Array<[number, number]>> = contents.map(() => []);
  for (let n = 0; n < count; n++) {
    const i = n % contents.length;
    const length = randomInt(128, 513) * 512;
    const offset = randomInt(firstSector, (contents[i].length - length) / 512) * 512;
    const bytes = randomBytes(length);
    await guestWrite(vcsim, vmName, keys[i], offset, bytes);
    bytes.copy(contents[i], offset);
    extents[i].push([offset, offset + length]);
  }
  let covered = 0;
  for (const list of extents) {
    let end = 0;
    for (const [start, stop] of list.sort((a, b) => a[0] - b[0])) {
      covered += Math.max(0, stop - Math.max(start, end));
      end = Math.max(end, stop);
    }
  }
  return covered;
}

/** Takes a snapshot through the SOAP API (so the disks switch to deltas); returns its moref value. */
export async function takeSnapshot(vcsim: Vcsim, vmName: string, name: string): Promise<string> {
  return (await control(vcsim, `/harness/vms/${encodeURIComponent(vmName)}/snapshots?name=${encodeURIComponent(name)}`)).snapshot;
}

/**
 * Resets the VM's changed-block tracking, as ESXi does when someone else consolidates its snapshot chain: every
 * changeId issued before is refused by QueryChangedDiskAreas from then on.
 */
/** From now on the VM's QueryChangedDiskAreas "*" leaves out its last allocated area (a source misreporting allocation). */
export async function misreportAllocation(vcsim: Vcsim, vmName: string): Promise<void> {
  await control(vcsim, `/harness/vms/${encodeURIComponent(vmName)}/cbt-misreport`);
}

export async function resetChangeTracking(vcsim: Vcsim, vmName: string): Promise<void> {
  await control(vcsim, `/harness/vms/${encodeURIComponent(vmName)}/cbt-reset`);
}

/**
 * Faults for every later NFC export of the VM's disks: downloads cut after `abortAfterBytes` (failing the lease)
 * and/or throttled to `bytesPerSecond`, and disks read `initDelayMs` after the export call; 0 or absent: off.
 */
export async function setNfcFault(vcsim: Vcsim, vmName: string, fault: { abortAfterBytes?: number; bytesPerSecond?: number; initDelayMs?: number }): Promise<void> {
  const q = `abortAfterBytes=${fault.abortAfterBytes ?? 0}&bytesPerSecond=${fault.bytesPerSecond ?? 0}&initDelayMs=${fault.initDelayMs ?? 0}`;
  await control(vcsim, `/harness/vms/${encodeURIComponent(vmName)}/nfc-fault?${q}`);
}

export interface NfcLeaseSummary {
  lease: string;
  vm: string;
  /** initializing | ready | done | error */
  state: string;
  error?: string;
}

/** Bytes the datastore file API (/folder/…) sent so far, summed over the files whose URL path contains `pathPart`. */
export async function datastoreBytesServed(vcsim: Vcsim, pathPart: string): Promise<number> {
  const served = await control<Record<string, number>>(vcsim, "/harness/datastore/served", undefined, "GET");
  return Object.entries(served).reduce((sum, [path, bytes]) => (path.includes(pathPart) ? sum + bytes : sum), 0);
}

/** Every NFC export lease the simulator created so far, oldest first. */
export function nfcLeases(vcsim: Vcsim): Promise<NfcLeaseSummary[]> {
  return control<NfcLeaseSummary[]>(vcsim, "/harness/nfc/leases", undefined, "GET");
}
