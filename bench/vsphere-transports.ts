// Benchmark (not a test): the ways the vSphere source reads a disk, against the vcsim harness, by wall time
// for opening the disk and reading + hashing every guest byte (what the transfer stage does, minus the write):
//   flat over the datastore API (ranged reads), a flat base + one vmfsSparse delta (delta downloaded and
//   composed with qemu-img), a streamOptimized file on the datastore, and the NFC export lease.
//   node bench/vsphere-transports.ts [--size-mib 256]
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { createVsphereSource, type DiskTransport } from "../src/providers/vsphere/source-provider.ts";
import { guestWrite, startVcsim, takeSnapshot } from "../test/harness/vcsim/harness.ts";
import { stripedDisk } from "./striped-disk.ts";

const MiB = 1024 * 1024;
const { values } = parseArgs({ options: { "size-mib": { type: "string", default: "256" } } });
const sizeBytes = Number(values["size-mib"]) * MiB;

const dir = await mkdtemp(join(tmpdir(), "landfall-bench-vs-"));
const content = join(dir, "disk.raw");
await stripedDisk(content, sizeBytes);
const sim = await startVcsim({
  vms: [
    { name: "flat", disks: [{ contentPath: content }] },
    { name: "delta", disks: [{ contentPath: content }] },
    { name: "stream", disks: [{ contentPath: content, format: "streamOptimized" }] },
  ],
});
try {
  const key = async (name: string) => {
    const p = createVsphereSource({ endpoint: sim.url, username: sim.username, password: sim.password, tls: { thumbprint: sim.thumbprint } });
    const vm = await p.getVM({ name });
    await p.close();
    return vm.disks[0].key;
  };
  // One snapshot, then the guest rewrites a tenth of the disk in 1 MiB pieces spread over it.
  await takeSnapshot(sim, "delta", "bench");
  const deltaKey = await key("delta");
  for (let at = 0; at < sizeBytes; at += 10 * MiB) await guestWrite(sim, "delta", deltaKey, at, randomBytes(MiB));

  // The baseline, in the same run: curl of the same bytes (the flat extent) over the same HTTPS endpoint.
  const flatURL = new URL("/folder/flat/flat_0-flat.vmdk?dcPath=DC0&dsName=LocalDS_0", sim.url);
  const c0 = performance.now();
  await promisify(execFile)("curl", ["-k", "-s", "-f", "-o", "/dev/null", flatURL.href], { timeout: 600_000 });
  const curlSeconds = (performance.now() - c0) / 1000;
  const rows: string[][] = [
    ["case", "open s", "read+hash s", "total s", "MiB/s", "÷ curl (throughput)"],
    ["curl of the flat extent (baseline)", "-", "-", curlSeconds.toFixed(2), (sizeBytes / MiB / curlSeconds).toFixed(0), "1.00"],
  ];
  for (const [label, vmName, transport] of [
    ["flat, datastore", "flat", "datastore"],
    ["flat + vmfsSparse delta, datastore", "delta", "datastore"],
    ["streamOptimized file, datastore", "stream", "datastore"],
    ["flat, NFC export", "flat", "nfc"],
  ] as Array<[string, string, DiskTransport]>) {
    const p = createVsphereSource({ endpoint: sim.url, username: sim.username, password: sim.password, tls: { thumbprint: sim.thumbprint }, transport });
    const vm = await p.getVM({ name: vmName });
    const t0 = performance.now();
    const reader = await p.openDisk({ vmID: vm.id, mode: "cold", powerStateBefore: "poweredOff", poweredOffByExport: false, disks: vm.disks }, vm.disks[0], { scratchDir: dir });
    const t1 = performance.now();
    const hash = createHash("sha256");
    for await (const piece of reader.readRange(0, reader.sizeBytes)) hash.update(piece);
    await reader.close();
    const t2 = performance.now();
    await p.close();
    const total = (t2 - t0) / 1000;
    rows.push([label, ((t1 - t0) / 1000).toFixed(2), ((t2 - t1) / 1000).toFixed(2), total.toFixed(2), (sizeBytes / MiB / total).toFixed(0), (curlSeconds / total).toFixed(2)]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(`vSphere disk read paths, ${sizeBytes / MiB} MiB half-random disk, vcsim over loopback HTTPS:`);
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
} finally {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
}
