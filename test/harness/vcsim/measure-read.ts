// Measures reading a flat disk through the vSphere provider's openDisk against `curl -k` of the same
// datastore file. Run: node test/harness/vcsim/measure-read.ts [MiB]   (default 256). Not a test: prints numbers.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createVsphereSource } from "../../../src/providers/vsphere/source-provider.ts";
import { startVcsim, writeRandomContent } from "./harness.ts";

const mib = Number(process.argv[2] ?? 256);
const dir = await mkdtemp(join(tmpdir(), "landfall-measure-"));
const content = join(dir, "disk.raw");
const expected = await writeRandomContent(content, mib << 20);
const sim = await startVcsim({ vms: [{ name: "big01", disks: [{ contentPath: content }] }] });
const rate = (ms: number) => `${(mib / (ms / 1000)).toFixed(0)} MiB/s`;
try {
  const provider = createVsphereSource({
    endpoint: sim.url,
    username: sim.username,
    password: sim.password,
    tls: { thumbprint: sim.thumbprint },
  });
  const vm = await provider.getVM({ name: "big01" });
  const session = await provider.prepareExport(vm, { mode: "cold" });
  const reader = await provider.openDisk(session, vm.disks[0]);
  for (const hashing of [false, true]) {
    const hash = createHash("sha256");
    const t0 = performance.now();
    for await (const chunk of reader.readRange(0, reader.sizeBytes)) if (hashing) hash.update(chunk);
    const ms = performance.now() - t0;
    const ok = hashing ? (hash.digest("hex") === expected ? " (sha256 matches)" : " (SHA256 MISMATCH)") : "";
    console.log(`openDisk ${hashing ? "+ sha256" : "        "}: ${mib} MiB in ${ms.toFixed(0)} ms = ${rate(ms)}${ok}`);
  }
  await provider.finishExport(session, { restorePower: false });
  await provider.close();

  const url = new URL(`/folder/big01/big01_0-flat.vmdk`, sim.url);
  url.searchParams.set("dcPath", sim.datacenter);
  url.searchParams.set("dsName", sim.datastore);
  const t0 = performance.now();
  await promisify(execFile)("curl", ["-sSfk", "-o", "/dev/null", url.toString()], { timeout: 300_000 });
  const ms = performance.now() - t0;
  console.log(`curl -k          : ${mib} MiB in ${ms.toFixed(0)} ms = ${rate(ms)}`);
} finally {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
}
