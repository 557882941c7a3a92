// Benchmark (not a test): the migration data path against the vCenter simulator, compared in the same run with
// plain `curl -k` of the same datastore file, and with doing it by hand (curl, qemu-img convert, sha256sum).
//   node bench/migration.ts [--size-mib 1024]
// Reports wall time, MiB/s, the ratio to curl, and peak RSS growth (memory must stay flat in disk size).
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { imageSha256 } from "../src/disk/checksum.ts";
import { convertImage } from "../src/disk/convert.ts";
import { transferDisk } from "../src/disk/transfer.ts";
import { createVsphereSource } from "../src/providers/vsphere/index.ts";
import { startVcsim } from "../test/harness/vcsim/harness.ts";
import { stripedDisk } from "./striped-disk.ts";

const MiB = 1 << 20;
const run = promisify(execFile);
const { values } = parseArgs({ options: { "size-mib": { type: "string", default: "1024" } } });
const sizeBytes = Number(values["size-mib"]) * MiB;

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T; peakRssMiB: number }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  const t0 = performance.now();
  const value = await fn();
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { seconds, value, peakRssMiB: (peak - base) / MiB };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "landfall-bench-"));
  const content = join(dir, "content.raw");
  await stripedDisk(content, sizeBytes);
  const vc = await startVcsim({ vms: [{ name: "bench01", uuid: randomUUID(), disks: [{ contentPath: content, capacityBytes: sizeBytes }] }] });
  try {
    const url = `${vc.url.replace(/\/sdk$/, "")}/folder/bench01/bench01_0-flat.vmdk?dcPath=${vc.datacenter}&dsName=${vc.datastore}`;
    const mib = sizeBytes / MiB;
    const line = (what: string, s: number, base: number, rss?: number) =>
      console.log(`${what.padEnd(52)} ${s.toFixed(2).padStart(6)} s  ${(mib / s).toFixed(0).padStart(5)} MiB/s  ${(s / base).toFixed(2)}× curl's time${rss === undefined ? "" : `  peak RSS +${rss.toFixed(0)} MiB`}`);
    console.log(`disk: ${mib} MiB, half random / half zero, served by vcsim over loopback HTTPS (${vc.url})`);

    const curl = await timed(() => run("curl", ["-k", "-s", "-f", "-o", join(dir, "curl.raw"), url], { timeout: 600_000 }));
    line("baseline: curl -k to local disk", curl.seconds, curl.seconds);
    const byHand = await timed(async () => {
      await run("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", join(dir, "curl.raw"), join(dir, "hand.qcow2")], { timeout: 600_000 });
      await run("sha256sum", [join(dir, "curl.raw")], { timeout: 600_000 });
    });
    line("by hand: curl + qemu-img convert + sha256sum", curl.seconds + byHand.seconds, curl.seconds);
    await rm(join(dir, "curl.raw"));
    await rm(join(dir, "hand.qcow2"));

    const source = createVsphereSource({ endpoint: vc.url, username: vc.username, password: vc.password, tls: { thumbprint: vc.thumbprint } });
    const vm = await source.getVM({ name: "bench01" });
    const session = { vmID: vm.id, mode: "cold" as const, powerStateBefore: vm.powerState, poweredOffByExport: false, disks: vm.disks };
    const staging = join(dir, "staging.raw");
    const transfer = await timed(async () => {
      const reader = await source.openDisk(session, vm.disks[0]);
      try {
        return await transferDisk({ reader, stagingPath: staging });
      } finally {
        await reader.close();
      }
    });
    line("landfall transfer: read + sha256 + sparse write", transfer.seconds, curl.seconds, transfer.peakRssMiB);
    const rest = await timed(async () => {
      await convertImage({ src: staging, srcFormat: "raw", dest: join(dir, "target.qcow2"), destFormat: "qcow2" });
      return imageSha256(join(dir, "target.qcow2"), "qcow2");
    });
    line("landfall full path: + convert qcow2 + verify hash", transfer.seconds + rest.seconds, curl.seconds, Math.max(transfer.peakRssMiB, rest.peakRssMiB));
    console.log(`checksums: source ${transfer.value.sha256}, target ${rest.value} — ${transfer.value.sha256 === rest.value ? "equal" : "DIFFERENT"}`);
    console.log(`throughput ratio (landfall transfer ÷ curl): ${(curl.seconds / transfer.seconds).toFixed(2)}`);
    await source.close();
  } finally {
    await vc.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench failed: ${(err as Error).message}`);
  process.exit(1);
});
