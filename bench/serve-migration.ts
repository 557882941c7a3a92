// Benchmark (not a test): whole migrations through a real `bin/landfall serve` (apply → Succeeded) against the
// vCenter simulator and real libvirtd/qemu-img, compared in the same run with `curl -k` of the same bytes and with
// doing it by hand (curl + qemu-img convert -O qcow2 + sha256sum). Also: the server's peak RSS (VmHWM) per disk
// size, the sparse ratio (a mostly-zero disk vs a dense 1 GiB one) and the extra space the pipeline used.
//   node bench/serve-migration.ts [--sizes-gib 1,4,10] [--max-transfers 2] [--cpu-prof DIR] [--node-options "..."]
//     [--server-log DIR]  (each server's log, serve-<size>.log, for the timeline of its steps)
//     [--data-disk-mib N]  (the dense VM's second disk, random bytes; default 16, the issue's)
//     [--bandwidth-mibps N]  (each disk's transfer capped, spec.options.bandwidthMiBps: a slow link, where work after
//     a transfer can hide behind another's; curl and by hand are not capped, so their ratios do not apply then)
// (--node-options: NODE_OPTIONS for the server, for memory experiments such as --max-semi-space-size.)
// Sizes beyond the first are mostly-zero thin disks (10 % random) of a VM with changed block tracking on: the source
// reports what is allocated (QueryChangedDiskAreas "*" of the powered-off VM's disk), as ESXi does for thin disks.
// The first (dense) one has tracking off: every byte of its flat extent is read, as curl reads it; its VM also has a
// data disk of random bytes, 16 MiB as the issue's (curl and the by-hand baseline copy both). All migrate cold.
// One is skipped, saying so, when free disk is short.
// Each size gets its own server process, so its VmHWM is that migration's peak.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat, statfs, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import type { VMMigration } from "../src/api/vmmigration.ts";
import { type ServeProcess, startServeProcess } from "../src/compose/serve-process.ts";
import { api, applyYaml, resourcePath } from "../test/harness/landfall.ts";
import { createTempLibvirt, type TempLibvirt } from "../test/harness/libvirt.ts";
import { applySourceAndTarget } from "../test/harness/providers.ts";
import { createVsphereSource } from "../src/providers/vsphere/source-provider.ts";
import { startVcsim, type Vcsim } from "../test/harness/vcsim/harness.ts";
import { type CpuSpent, cpuSince, ThreadCpu } from "./cpu-account.ts";
import { stripedDisk } from "./striped-disk.ts";

const MiB = 1 << 20;
const GiB = 1 << 30;
const run = promisify(execFile);
const { values } = parseArgs({ options: {
    "sizes-gib": { type: "string", default: "1,4,10" },
    "max-transfers": { type: "string", default: "2" },
    "cpu-prof": { type: "string" },
    "node-options": { type: "string" },
    "server-log": { type: "string" },
    "data-disk-mib": { type: "string", default: "16" },
    "bandwidth-mibps": { type: "string" },
  },
});
const sizes = values["sizes-gib"].split(",").map(Number);
/** The data disk of the dense VM: 16 MiB in the issue's measurement. */
const DATA_DISK_BYTES = Number(values["data-disk-mib"]) * MiB;
const dataDiskName = `${values["data-disk-mib"]} MiB data disk`;

/** Allocated bytes under dir (recursively), as the filesystem counts them. */
async function allocatedBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (e.isFile()) total += ((await stat(join(e.parentPath, e.name)).catch(() => undefined))?.blocks ?? 0) * 512;
  }
  return total;
}

async function vmHWM(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

async function vmRSS(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

interface Measured {
  seconds: number;
  peakRssMiB: number;
  /** Peak bytes under the pool beyond the migration's final volume. */
  peakExtraBytes: number;
  peakStagingBytes: number;
  /** Allocated bytes of the imported volume. */
  volumeBytes: number;
  phases: string;
  /** Highest VmRSS sampled in each phase, MiB. */
  rss: string;
  /** VmRSS once the providers are Ready, before the migration is applied. */
  idleRssMiB: number;
  /** virsh processes the server started from apply to Succeeded (its controllers' too), by command. */
  virsh: string;
  /** Importing's read-back of each volume, as the server logs it. */
  readBack: string;
  /** CPU spent from apply to Succeeded: the machine's, the server's (and its tools'), vcsim's. */
  cpu: CpuSpent;
  /** The server's CPU by thread name. */
  threads: Array<[string, number]>;
}

/** A directory holding a `virsh` that appends its command to log and runs the real one. */
async function virshShim(dir: string, log: string): Promise<string> {
  const real = (await run("which", ["virsh"])).stdout.trim();
  const bin = join(dir, "shim-bin");
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, "virsh"), `#!/bin/sh\necho "$3" >> "${log}"\nexec "${real}" "$@"\n`, { mode: 0o755 });
  return bin;
}

function virshSummary(calls: string[]): string {
  const by = new Map<string, number>();
  // A batched call ("dumpxml A ; dumpxml B ; …") is one process, counted under its first command.
  for (const c of calls.map((line) => line.split(" ")[0]!)) by.set(c, (by.get(c) ?? 0) + 1);
  return `${calls.length} (${[...by].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(", ")})`;
}

async function migrate(vc: Vcsim, lv: TempLibvirt, vmName: string, label: string): Promise<Measured> {
  const env: Record<string, string> = { LANDFALL_LOG_FORMAT: "text" };
  const nodeOptions = values["node-options"] ? [values["node-options"]] : [];
  if (values["cpu-prof"]) {
    await mkdir(values["cpu-prof"], { recursive: true });
    nodeOptions.push(`--cpu-prof --cpu-prof-dir=${values["cpu-prof"]} --cpu-prof-name=serve-${label}.cpuprofile`);
  }
  if (nodeOptions.length > 0) env.NODE_OPTIONS = nodeOptions.join(" ");
  // Every virsh process the server starts, counted by a shim first on its PATH (bench code only).
  const virshLog = join(lv.scratchDir, `virsh-${label}.log`);
  env.PATH = `${await virshShim(lv.scratchDir, virshLog)}:${process.env.PATH}`;
  const srv: ServeProcess = await startServeProcess({ args: ["--max-transfers", values["max-transfers"]], env });
  try {
    const ns = "bench";
    await applySourceAndTarget(srv, ns, vc, lv);
    // Providers Ready first, so the figure is the migration's, not the server's start; a Provider that stays not
    // Ready (libvirtd not running: start it with scripts/libvirt-up.sh) ends the bench with its reason.
    type Conditions = { status?: { conditions?: Array<{ type: string; status: string; message?: string }> } };
    for (const started = performance.now(); ; ) {
      const p = await api<Conditions>(srv, resourcePath(ns, "providers", "kvm"));
      const q = await api<Conditions>(srv, resourcePath(ns, "providers", "vcenter"));
      const ready = [p, q].map((r) => r.body.status?.conditions?.find((c) => c.type === "Ready"));
      if (ready.every((c) => c?.status === "True")) break;
      if (performance.now() - started > 120_000) throw new Error(`Providers not Ready after 120 s: ${ready.map((c) => c?.message ?? "no status").join("; ")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const name = `${lv.prefix}-${label}`;
    const idleRssMiB = (await vmRSS(srv.child.pid!)) / MiB;
    const virshBefore = (await readFile(virshLog, "utf8").catch(() => "")).split("\n").filter(Boolean).length;
    const cpuSpent = await cpuSince({ serve: srv.child.pid!, vcsim: vc.pid });
    const threads = await ThreadCpu.start(srv.child.pid!);
    const t0 = performance.now();
    await applyYaml(
      srv,
      `apiVersion: landfall.dev/v1beta1
kind: VMMigration
metadata: {name: ${name}, namespace: ${ns}}
spec:
  source: {providerRef: {name: vcenter}, vmName: ${vmName}}
  target: {providerRef: {name: kvm}, vmName: ${name}, powerOn: false}
  options: {diskFormat: qcow2, verifyChecksums: true, mode: cold${values["bandwidth-mibps"] ? `, bandwidthMiBps: ${Number(values["bandwidth-mibps"])}` : ""}}
`,
    );
    // Space: everything under the pool (staging directory and volumes) over what it held before; the extra space
    // is the peak of that beyond what the migration leaves (its volume), so the target itself is not counted.
    const poolBefore = await allocatedBytes(lv.poolPath);
    let peakPool = 0;
    let peakStaging = 0;
    const rssByPhase = new Map<string, number>();
    for (;;) {
      peakPool = Math.max(peakPool, (await allocatedBytes(lv.poolPath)) - poolBefore);
      peakStaging = Math.max(peakStaging, await allocatedBytes(join(lv.poolPath, ".landfall-staging")));
      const m = (await api<VMMigration>(srv, resourcePath(ns, "vmmigrations", name))).body;
      const phase = m.status?.phase ?? "Pending";
      await threads.sample();
      rssByPhase.set(phase, Math.max(rssByPhase.get(phase) ?? 0, await vmRSS(srv.child.pid!)));
      if (m.status?.phase === "Failed") throw new Error(`migration ${name} failed: ${m.status.message}`);
      if (m.status?.phase === "Succeeded") {
        const seconds = (performance.now() - t0) / 1000;
        const cpu = await cpuSpent();
        const hist = m.status.phaseHistory ?? [];
        const phases = hist
          .slice(0, -1)
          .map((p, i) => `${p.phase} ${((Date.parse(hist[i + 1]!.enteredAt) - Date.parse(p.enteredAt)) / 1000).toFixed(1)}s`)
          .join(", ");
        const rss = [...rssByPhase].map(([p, bytes]) => `${p} ${(bytes / MiB).toFixed(0)}`).join(", ");
        const volumeBytes = (await allocatedBytes(lv.poolPath)) - poolBefore;
        const virshCalls = (await readFile(virshLog, "utf8")).split("\n").filter(Boolean).slice(virshBefore);
        const readBack = [...srv.output().matchAll(/(?:target|converted and) read back in ([\d.]+) s/g)].map((x) => `${x[1]} s`).join(", ");
        return { virsh: virshSummary(virshCalls), readBack, cpu, threads: threads.byName(), seconds, peakRssMiB: (await vmHWM(srv.child.pid!)) / MiB, peakExtraBytes: Math.max(0, peakPool - volumeBytes), peakStagingBytes: peakStaging, volumeBytes, phases, rss, idleRssMiB };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    // A --cpu-prof server writes its profile while exiting, which takes a while on a loaded machine.
    srv.child.kill("SIGTERM");
    await new Promise<void>((resolve) => (srv.child.exitCode !== null ? resolve() : srv.child.once("exit", () => resolve())));
    await srv.stop();
    if (values["server-log"]) {
      await mkdir(values["server-log"], { recursive: true });
      await writeFile(join(values["server-log"], `serve-${label}.log`), srv.output());
    }
  }
}

/** One line: what the machine, the server, its tools and vcsim spent from apply to Succeeded. */
function cpuLine(cpu: CpuSpent): string {
  const serve = cpu.processes.serve!;
  const vcsim = cpu.processes.vcsim!.self;
  const rest = cpu.machine - serve.self - serve.children - vcsim;
  return `CPU, apply → Succeeded: machine ${cpu.machine.toFixed(2)} CPU-s — landfall serve ${serve.self.toFixed(2)} (its threads: event loop, sha256 worker, libuv pool), its tools (qemu-img, virsh, openssl, nbdcopy) ${serve.children.toFixed(2)}, vcsim ${vcsim.toFixed(2)}, the rest (libvirtd, this bench's polling, the kernel's writeback) ${rest.toFixed(2)}`;
}

async function main(): Promise<void> {
  const [load1] = (await readFile("/proc/loadavg", "utf8")).split(" ");
  const lv = await createTempLibvirt("bench");
  const vms: Array<{ name: string; sizeBytes: number; allocated: number; path: string; sparse: boolean; dataDisk?: string }> = [];
  const skipped: string[] = [];
  for (const [i, gib] of sizes.entries()) {
    const fraction = i === 0 ? 0.5 : 0.1;
    const free = await statfs(lv.scratchDir).then((s) => s.bavail * s.bsize);
    // source content + staging (raw + qcow2) + imported volume, with 2 GiB to spare for everyone else
    const needs = gib * GiB * fraction * 4 + 2 * GiB;
    if (free < needs) {
      skipped.push(`${gib} GiB skipped: ${(free / GiB).toFixed(1)} GiB free, needs ${(needs / GiB).toFixed(1)} GiB`);
      continue;
    }
    const path = join(lv.scratchDir, `disk-${gib}g.raw`);
    const allocated = await stripedDisk(path, gib * GiB, fraction);
    if (i > 0) {
      vms.push({ name: `bench${gib}g${i}`, sizeBytes: gib * GiB, allocated, path, sparse: true });
      continue;
    }
    // The issue's VM: the dense boot disk and a data disk of random bytes.
    const dataDisk = join(lv.scratchDir, "data.raw");
    const dataBytes = await stripedDisk(dataDisk, DATA_DISK_BYTES, 1);
    vms.push({ name: `bench${gib}g${i}`, sizeBytes: gib * GiB, allocated: allocated + dataBytes, path, sparse: false, dataDisk });
  }
  // A loaded machine starts vcsim slowly: wait longer than the tests do.
  const vc = await startVcsim(
    {
      vms: vms.map((v) => ({
        name: v.name,
        uuid: randomUUID(),
        powerOn: false,
        disks: [{ contentPath: v.path, capacityBytes: v.sizeBytes, thin: v.sparse }, ...(v.dataDisk ? [{ contentPath: v.dataDisk, capacityBytes: DATA_DISK_BYTES }] : [])],
      })),
    },
    { timeoutMs: 300_000 },
  );
  const vsphere = createVsphereSource({ endpoint: vc.url, username: vc.username, password: vc.password, tls: { insecureSkipVerify: true } });
  try {
    for (const v of vms.filter((x) => x.sparse)) await vsphere.setChangeTracking?.((await vsphere.getVM({ name: v.name })).id, true);
  } finally {
    await vsphere.close();
  }
  try {
    console.log(`machine: ${(await run("uname", ["-srm"])).stdout.trim()}, ${(await run("nproc")).stdout.trim()} cores; load average at start ${load1}; date ${new Date().toISOString()}`);
    const head = vms[0]!;
    const urls = [0, 1].map((i) => `${vc.url.replace(/\/sdk$/, "")}/folder/${head.name}/${head.name}_${i}-flat.vmdk?dcPath=${vc.datacenter}&dsName=${vc.datastore}`);
    const copies = [0, 1].map((i) => join(lv.scratchDir, `curl-${i}.raw`));
    const converted = [0, 1].map((i) => join(lv.scratchDir, `hand-${i}.qcow2`));
    // curl's own time moves by up to 2× between runs on this shared machine: three runs, the median of each.
    const baselines: Array<{ curl: number; byHand: number; cpu: CpuSpent }> = [];
    for (let i = 0; i < 3; i++) {
      const curlCpu = await cpuSince({ vcsim: vc.pid, bench: process.pid });
      const curlStart = performance.now();
      for (const [d, url] of urls.entries()) await run("curl", ["-k", "-s", "-f", "-o", copies[d]!, url], { timeout: 600_000 });
      const curlSeconds = (performance.now() - curlStart) / 1000;
      const cpu = await curlCpu();
      const handStart = performance.now();
      for (const d of [0, 1]) {
        await run("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", copies[d]!, converted[d]!], { timeout: 600_000 });
        await run("sha256sum", [converted[d]!], { timeout: 600_000 });
      }
      baselines.push({ curl: curlSeconds, byHand: curlSeconds + (performance.now() - handStart) / 1000, cpu });
      for (const f of [...copies, ...converted]) await rm(f);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const curl = median(baselines.map((b) => b.curl));
    const curlRun = baselines.find((b) => b.curl === curl)!;
    const byHand = median(baselines.map((b) => b.byHand));
    const shown = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(", ");
    const results: Array<{ gib: number; allocated: number; m: Measured }> = [];
    console.log(`baseline curl -k of the ${head.sizeBytes / GiB} GiB half-random flat extent and the ${dataDiskName}'s: median ${curl.toFixed(2)} s (${shown(baselines.map((b) => b.curl))}); by hand (curl + qemu-img convert -O qcow2 + sha256sum): median ${byHand.toFixed(2)} s (${shown(baselines.map((b) => b.byHand))})`);
    const profiled = values["cpu-prof"] ? " (server under --cpu-prof)" : "";
    for (const v of vms) {
      const m = await migrate(vc, lv, v.name, `${v.sizeBytes / GiB}g`);
      results.push({ gib: v.sizeBytes / GiB, allocated: v.allocated, m });
      const how = v.sparse ? "thin, cold, allocation from the source" : `cold, flat extents, every byte read; with a ${dataDiskName}`;
      console.log(`  ${v.sizeBytes / GiB} GiB (${((100 * (v.allocated - (v.dataDisk ? DATA_DISK_BYTES : 0))) / v.sizeBytes).toFixed(0)} % data, ${how}): ${m.seconds.toFixed(2)} s, staging peak ${(m.peakStagingBytes / MiB).toFixed(0)} MiB, volume ${(m.volumeBytes / MiB).toFixed(0)} MiB, extra beyond it ${(m.peakExtraBytes / MiB).toFixed(0)} MiB — ${m.phases}`);
      console.log(`FIGURE imported volume ÷ allocated bytes, ${v.sizeBytes / GiB} GiB (the target stays sparse): ${(m.volumeBytes / v.allocated).toFixed(2)}`);
      console.log(`  RSS: idle ${m.idleRssMiB.toFixed(0)} MiB; highest sampled per phase (MiB): ${m.rss}`);
      console.log(`  ${cpuLine(m.cpu)}; the server by thread: ${m.threads.filter(([, s]) => s >= 0.01).map(([n, s]) => `${n} ${s.toFixed(2)}`).join(", ")}`);
      console.log(`  virsh processes, apply → Succeeded: ${m.virsh}; Importing's read-back: ${m.readBack || "not logged"}`);
      if (v === head && values["bandwidth-mibps"]) console.log(`  each disk's transfer capped at ${values["bandwidth-mibps"]} MiB/s: no ratio to curl or by hand`);
      else if (v === head) {
        console.log(`FIGURE whole migration ÷ curl, throughput (goal ≥ 0.70): ${(curl / m.seconds).toFixed(2)}  (${m.seconds.toFixed(2)} s vs ${curl.toFixed(2)} s)`);
        console.log(`FIGURE by hand ÷ whole migration, time (goal ≥ 1.3): ${(byHand / m.seconds).toFixed(2)}  (${byHand.toFixed(2)} s vs ${m.seconds.toFixed(2)} s)`);
        // The CPU the run kept busy bounds its time from below: B CPU-seconds on N cores take at least B ÷ N.
        const cores = Number((await run("nproc")).stdout.trim());
        const goalSeconds = curl / 0.7;
        const c = curlRun.cpu;
        console.log(`  CPU, curl's median run: machine ${c.machine.toFixed(2)} CPU-s in ${curl.toFixed(2)} s (vcsim ${c.processes.vcsim!.self.toFixed(2)}, curl ${c.processes.bench!.children.toFixed(2)}, the rest ${(c.machine - c.processes.vcsim!.self - c.processes.bench!.children).toFixed(2)})`);
        console.log(`FIGURE machine CPU of the whole migration ÷ the goal's budget (${cores} cores × curl ÷ 0.70 = ${(cores * goalSeconds).toFixed(2)} CPU-s; above 1 the throughput goal is out of reach of this CPU demand): ${(m.cpu.machine / (cores * goalSeconds)).toFixed(2)}  (${m.cpu.machine.toFixed(2)} CPU-s)`);
      }
      console.log(`FIGURE peak RSS of landfall serve, ${v.sizeBytes / GiB} GiB disk (goal < 150 MiB): ${m.peakRssMiB.toFixed(0)} MiB${profiled}`);
    }
    const dense = results[0]!;
    const sparse = results.find((r) => r.gib === 10 && r !== dense);
    if (sparse) {
      console.log(`FIGURE sparse ratio, 10 GiB 90 % zeros ÷ ${dense.gib} GiB half random (goal ≤ 1.5): ${(sparse.m.seconds / dense.m.seconds).toFixed(2)}`);
      console.log(`FIGURE extra space beyond the imported volume ÷ allocated bytes, 10 GiB 90 % zeros (goal ≤ 1.0): ${(sparse.m.peakExtraBytes / sparse.allocated).toFixed(2)}`);
    }
    console.log(`FIGURE extra space beyond the imported volume ÷ allocated bytes, ${dense.gib} GiB half random (goal ≤ 1.0): ${(dense.m.peakExtraBytes / dense.allocated).toFixed(2)}`);
    for (const s of skipped) console.log(`SKIPPED ${s}`);
    const [load2] = (await readFile("/proc/loadavg", "utf8")).split(" ");
    console.log(`load average at end ${load2}`);
  } finally {
    await vc.stop();
    await lv.cleanup();
  }
}

main().catch((err) => {
  console.error(`bench failed: ${(err as Error).stack}`);
  process.exit(1);
});
