// Benchmark (not a test): downtime of a warm migration against a cold one of the same VM, in one run, through a
// real `bin/landfall serve`, the vcsim harness and real libvirt storage.
//   node bench/warm-downtime.ts [--size-mib 1024] [--changed-percent 5]
// Two running VMs with the same half-random disk. Cold: downtime = guest shutdown starts (Exporting) → target
// VirtualMachine Ready (Succeeded). Warm: precopy 0 while the VM runs, then the guest rewrites changed-percent of
// the disk's 1 MiB blocks, then `cutover` now; downtime = status.downtimeSeconds (source off → target Ready). The
// warm disk's sha256, taken from its staging file after Ready, is shown apart (not downtime).
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { VMMigration } from "../src/api/vmmigration.ts";
import { startServeProcess } from "../src/compose/serve-process.ts";
import { createVsphereSource } from "../src/providers/vsphere/source-provider.ts";
import { api, applyYaml, resourcePath, waitFor } from "../test/harness/landfall.ts";
import { createTempLibvirt } from "../test/harness/libvirt.ts";
import { applySourceAndTarget } from "../test/harness/providers.ts";
import { guestWrite, startVcsim } from "../test/harness/vcsim/harness.ts";
import { stripedDisk } from "./striped-disk.ts";

const MiB = 1 << 20;
const { values } = parseArgs({ options: { "size-mib": { type: "string", default: "1024" }, "changed-percent": { type: "string", default: "5" } } });
const sizeBytes = Number(values["size-mib"]) * MiB;
const changedPercent = Number(values["changed-percent"]);

const lv = await createTempLibvirt("bwarm");
const ns = lv.prefix;
const content = join(lv.scratchDir, "disk.raw");
await stripedDisk(content, sizeBytes);
const vc = await startVcsim({
  vms: ["cold01", "warm01"].map((name) => ({ name, uuid: randomUUID(), cpus: 1, memoryMiB: 64, powerOn: true, disks: [{ contentPath: content }] })),
});
const dataDir = await mkdtemp(join(tmpdir(), "landfall-bench-warm-"));
const srv = await startServeProcess({ dataDir, env: { LANDFALL_LOG_FORMAT: "text" } });
const migration = async (name: string) => (await api<VMMigration>(srv, resourcePath(ns, "vmmigrations", name))).body;
const until = (name: string, what: string, ok: (m: VMMigration) => boolean) =>
  waitFor(`${name}: ${what}`, 1_800_000, async () => {
    const m = await migration(name);
    if (m.status?.phase === "Failed") throw new Error(`${name} failed: ${m.status.message}`);
    return ok(m) ? m : undefined;
  }, 100);
const yaml = (name: string, options: string) => `apiVersion: landfall.dev/v1beta1
kind: VMMigration
metadata: {name: ${name}, namespace: ${ns}}
spec:
  source: {providerRef: {name: vcenter}, vmName: ${name}}
  target: {providerRef: {name: kvm}, vmName: ${name}, powerOn: false}
  options: {diskFormat: qcow2${options}}
`;
try {
  await applySourceAndTarget(srv, ns, vc, lv, { tls: "thumbprint" });
  console.log(`disk: ${sizeBytes / MiB} MiB half random; warm: ${changedPercent} % of its 1 MiB blocks rewritten after precopy 0`);

  await applyYaml(srv, yaml("cold01", ""));
  const cold = await until("cold01", "Succeeded", (m) => m.status?.phase === "Succeeded");
  const offFrom = cold.status?.phaseHistory?.find((h) => h.phase === "Exporting")?.enteredAt as string;
  const coldDowntime = (Date.parse(cold.status?.completedAt as string) - Date.parse(offFrom)) / 1000;

  await applyYaml(srv, yaml("warm01", ", mode: warm, precopyInterval: 1h"));
  await until("warm01", "precopy 0", (m) => Boolean(m.status?.precopies?.[0]?.completedAt));
  const p = createVsphereSource({ endpoint: vc.url, username: vc.username, password: vc.password, tls: { thumbprint: vc.thumbprint } });
  const key = (await p.getVM({ name: "warm01" })).disks[0].key;
  await p.close();
  const blocks = sizeBytes / MiB;
  const changed = Math.round((blocks * changedPercent) / 100);
  for (let i = 0; i < changed; i++) await guestWrite(vc, "warm01", key, Math.floor((i * blocks) / changed) * MiB, randomBytes(MiB));
  await api(srv, resourcePath(ns, "vmmigrations", "warm01"), {
    method: "PATCH",
    headers: { "content-type": "application/merge-patch+json" },
    body: JSON.stringify({ spec: { cutover: new Date().toISOString() } }),
  });
  const warm = await until("warm01", "Succeeded", (m) => m.status?.phase === "Succeeded");
  const warmDowntime = warm.status?.downtimeSeconds as number;
  const at = (m: VMMigration, phase: string) => Date.parse(m.status?.phaseHistory?.find((h) => h.phase === phase)?.enteredAt as string);
  const final = warm.status?.precopies?.at(-1);
  console.log(`cold downtime (shutdown → target Ready)          ${coldDowntime.toFixed(1).padStart(6)} s`);
  console.log(`warm downtime (source off → target Ready)        ${warmDowntime.toFixed(1).padStart(6)} s  = ${((100 * warmDowntime) / coldDowntime).toFixed(0)} % of cold`);
  console.log(`  warm precopy 0 (VM running)                    ${warm.status?.precopies?.[0].durationSeconds?.toFixed(1).padStart(6)} s  ${(warm.status?.precopies?.[0].bytes ?? 0) / MiB} MiB`);
  console.log(`  warm final precopy                             ${final?.durationSeconds?.toFixed(1).padStart(6)} s  ${((final?.bytes ?? 0) / MiB).toFixed(0)} MiB (${changed} MiB written)`);
  console.log(`  warm cutover (shutdown, final copy, verify)    ${((at(warm, "Converting") - at(warm, "CuttingOver")) / 1000).toFixed(1).padStart(6)} s`);
  const offAt = Date.parse(warm.status?.cutover?.sourceOffAt as string);
  const finalStart = Date.parse(final?.startedAt as string);
  const finalDone = Date.parse(final?.completedAt as string);
  console.log(`    guest shutdown (not downtime)                ${((offAt - Date.parse(warm.status?.cutover?.startedAt as string)) / 1000).toFixed(1).padStart(6)} s`);
  console.log(`    source off → final precopy starts            ${((finalStart - offAt) / 1000).toFixed(1).padStart(6)} s`);
  console.log(`    final precopy (snapshot, changes, verify)    ${((finalDone - finalStart) / 1000).toFixed(1).padStart(6)} s`);
  console.log(`    unverified chunks checked                    ${((at(warm, "Converting") - finalDone) / 1000).toFixed(1).padStart(6)} s`);
  console.log(`  warm converting (nothing to convert)           ${((at(warm, "Importing") - at(warm, "Converting")) / 1000).toFixed(1).padStart(6)} s`);
  console.log(`  warm importing (rename)                        ${((at(warm, "Creating") - at(warm, "Importing")) / 1000).toFixed(1).padStart(6)} s`);
  const readyAt = offAt + warmDowntime * 1000;
  console.log(`  warm creating (VirtualMachine → Ready)         ${((readyAt - at(warm, "Creating")) / 1000).toFixed(1).padStart(6)} s`);
  const checksummed = warm.status?.conditions?.find((c) => c.type === "Checksummed");
  console.log(`  after Ready, not downtime: source, sha256      ${((Date.parse(warm.status?.completedAt as string) - readyAt) / 1000).toFixed(1).padStart(6)} s  ${checksummed?.reason}: ${warm.status?.disks?.[0]?.sha256}`);
  console.log(`  cold transfer                                  ${((at(cold, "Converting") - at(cold, "Transferring")) / 1000).toFixed(1).padStart(6)} s`);
  console.log(`  cold convert                                   ${((at(cold, "Importing") - at(cold, "Converting")) / 1000).toFixed(1).padStart(6)} s`);
  console.log(`  cold import + read-back                        ${((at(cold, "Creating") - at(cold, "Importing")) / 1000).toFixed(1).padStart(6)} s`);
  console.log(`  cold creating                                  ${((Date.parse(cold.status?.completedAt as string) - at(cold, "Creating")) / 1000).toFixed(1).padStart(6)} s`);
  // The server's own timestamps for the warm cutover's steps (where the downtime goes).
  const cutoverLog = srv.output().split("\n").filter((l) => l.includes("warm01") || l.includes("-disk0-"));
  const from = cutoverLog.findIndex((l) => l.includes("CuttingOver"));
  for (const line of cutoverLog.slice(Math.max(0, from))) console.log(`  log: ${line.slice(0, 220)}`);
} finally {
  await srv.stop();
  await vc.stop();
  await lv.cleanup();
  await rm(dataDir, { recursive: true, force: true });
}
