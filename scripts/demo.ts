// make demo: a simulated vCenter (vcsim) with three sample VMs whose disks really boot, landfall serving in the
// background, one VMMigration and one VMImport (with adoption) into local libvirt, live progress, and proof that
// each migrated guest booted (its serial console). Everything lives under .demo/; `make demo-stop` (or running the
// demo again) stops what it started and removes the demo's domains and pool — nothing else.
import { execFile, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { writeBootDisk } from "../test/harness/bootdisk.ts";
import { buildVcsim } from "../test/harness/vcsim/harness.ts";

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, "..");
const demoDir = join(root, ".demo");
const dataDir = join(demoDir, "data");
const pidFile = join(demoDir, "pids.json");
const port = Number(process.env.DEMO_PORT ?? 7780);
const server = `http://127.0.0.1:${port}`;
const NS = "demo";
const POOL = "landfall-demo";
const POOL_PATH = "/var/lib/landfall/demo-pool";
const bin = join(root, "bin/landfall");
const MiB = 1 << 20;

const VMS = [
  { name: "web01", cpus: 2, memoryMiB: 256, disks: [{ boot: true, mib: 32 }, { mib: 16 }], nic: "00:50:56:aa:00:01" },
  { name: "web02", cpus: 1, memoryMiB: 128, disks: [{ boot: true, mib: 24 }], nic: "00:50:56:aa:00:02" },
  { name: "db01", cpus: 2, memoryMiB: 256, disks: [{ boot: true, mib: 32 }, { mib: 64 }], nic: "00:50:56:aa:00:03" },
];
const marker = (vm: string) => `landfall demo: ${vm} booted from its migrated disk`;

const say = (s: string) => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function virsh(args: string[]): Promise<string> {
  return (await exec("virsh", ["-c", "qemu:///system", ...args], { timeout: 60_000 })).stdout;
}

async function stopPrevious(): Promise<void> {
  if (existsSync(pidFile)) {
    const pids = JSON.parse(readFileSync(pidFile, "utf8")) as Record<string, number>;
    for (const [what, pid] of Object.entries(pids)) {
      try {
        process.kill(pid, "SIGTERM");
        say(`stopped ${what} (pid ${pid})`);
      } catch {
        // already gone
      }
    }
    await sleep(1000);
    await rm(pidFile, { force: true });
  }
  // Only what the demo created: domains in its namespace (named demo--*) and its pool.
  const domains = (await virsh(["list", "--all", "--name"]).catch(() => "")).split("\n").map((s) => s.trim()).filter((n) => n.startsWith(`${NS}--`));
  for (const d of domains) {
    await virsh(["destroy", d]).catch(() => "");
    await virsh(["undefine", d, "--nvram"]).catch(() => virsh(["undefine", d]).catch(() => ""));
  }
  if (domains.length) say(`removed ${domains.length} domain(s) from an earlier demo`);
  await virsh(["pool-destroy", POOL]).catch(() => "");
  await virsh(["pool-undefine", POOL]).catch(() => "");
  await rm(POOL_PATH, { recursive: true, force: true });
}

function spawnDetached(cmd: string, args: string[], log: string, env: Record<string, string> = {}): number {
  const out = openSync(log, "a");
  const child = spawn(cmd, args, { detached: true, stdio: ["ignore", out, out], env: { ...process.env, ...env } });
  closeSync(out);
  child.unref();
  return child.pid as number;
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(300);
  }
}

async function cli(args: string[], token: string): Promise<string> {
  const { stdout } = await exec(bin, args, { env: { ...process.env, LANDFALL_SERVER: server, LANDFALL_TOKEN: token }, timeout: 60_000 });
  return stdout;
}

async function main(): Promise<void> {
  if (process.argv[2] === "stop") {
    await stopPrevious();
    say("demo stopped");
    return;
  }
  await stopPrevious();
  await rm(demoDir, { recursive: true, force: true });
  await mkdir(join(demoDir, "disks"), { recursive: true });
  const pids: Record<string, number> = {};

  say("• building sample VM disks (each boot disk is a tiny BIOS guest that prints to its serial console)");
  const spec = { vms: [] as unknown[] };
  for (const vm of VMS) {
    const disks = [];
    for (const [i, d] of vm.disks.entries()) {
      const path = join(demoDir, "disks", `${vm.name}-${i}.raw`);
      if (d.boot) await writeBootDisk(path, { sizeBytes: d.mib * MiB, marker: marker(vm.name), fill: "random" });
      else await writeBootDisk(path, { sizeBytes: d.mib * MiB, marker: "data", fill: "random" });
      disks.push({ contentPath: path, capacityBytes: d.mib * MiB });
    }
    spec.vms.push({ name: vm.name, cpus: vm.cpus, memoryMiB: vm.memoryMiB, powerOn: true, disks, nics: [{ network: "VM Network", mac: vm.nic, model: "vmxnet3" }] });
  }
  await writeFile(join(demoDir, "vcsim.json"), JSON.stringify(spec));

  say("• starting the vCenter simulator (govmomi vcsim)");
  const vcsimBin = await buildVcsim();
  const vcsimTmp = join(demoDir, "vcsim-tmp");
  await mkdir(vcsimTmp, { recursive: true });
  pids.vcsim = spawnDetached(vcsimBin, [join(demoDir, "vcsim.json")], join(demoDir, "vcsim.log"), { TMPDIR: vcsimTmp });
  await writeFile(pidFile, JSON.stringify(pids));
  const vc = await waitFor("vcsim", 60_000, async () => {
    const line = (await readFile(join(demoDir, "vcsim.log"), "utf8")).split("\n").find((l) => l.startsWith("{"));
    return line ? (JSON.parse(line) as { url: string; username: string; password: string; thumbprint: string }) : undefined;
  });
  say(`  vCenter at ${vc.url} (certificate SHA-256 ${vc.thumbprint.slice(0, 23)}…)`);

  say(`• starting landfall (data in ${dataDir}, API at ${server})`);
  pids.landfall = spawnDetached(bin, ["serve", "--data-dir", dataDir, "--listen", `127.0.0.1:${port}`], join(demoDir, "landfall.log"), { LANDFALL_LOG_FORMAT: "text" });
  await writeFile(pidFile, JSON.stringify(pids));
  await waitFor("landfall /healthz", 30_000, async () => ((await fetch(`${server}/healthz`)).ok ? true : undefined));
  const token = (await readFile(join(dataDir, "admin.token"), "utf8")).trim();

  const manifests = `# Written by make demo. Apply your own with: bin/landfall apply -f FILE
apiVersion: landfall.dev/v1beta1
kind: Secret
metadata: {name: vcenter-creds, namespace: ${NS}}
stringData: {username: ${vc.username}, password: ${vc.password}}
---
apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: vcenter, namespace: ${NS}}
spec:
  type: vsphere
  endpoint: ${vc.url}
  credentialsRef: {name: vcenter-creds}
  tls: {thumbprint: "${vc.thumbprint}"}
---
apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: kvm, namespace: ${NS}}
spec: {type: libvirt, uri: "qemu:///system", storagePool: ${POOL}, storagePoolPath: ${POOL_PATH}}
---
apiVersion: landfall.dev/v1beta1
kind: VMMigration
metadata: {name: web01, namespace: ${NS}}
spec:
  source: {providerRef: {name: vcenter}, vmName: web01}
  target: {providerRef: {name: kvm}, vmName: web01, powerOn: true, networkMap: [{source: "VM Network", target: user}]}
  options: {diskFormat: qcow2, verifyChecksums: true}
---
apiVersion: landfall.dev/v1beta1
kind: VMImport
metadata: {name: wave-1, namespace: ${NS}}
spec:
  source: {providerRef: {name: vcenter}}
  vms: [{name: web02}, {name: db01, targetName: db01-kvm}]
  target: {providerRef: {name: kvm}, namespace: ${NS}, powerOn: true}
  networkMap: [{source: "VM Network", target: user}]
  adoption: {enabled: true}
  cleanup: {deleteMigrationsOnSuccess: false}
`;
  const manifestPath = join(demoDir, "manifests.yaml");
  await writeFile(manifestPath, manifests);
  say(`• applying ${manifestPath}`);
  process.stdout.write((await cli(["apply", "-f", manifestPath], token)).replace(/^(?=.)/gm, "  "));

  say("• migrating (export → transfer → convert → import → create); live status:");
  const start = Date.now();
  let last = "";
  for (;;) {
    const table = await cli(["get", "vmm", "-n", NS], token).catch((e) => String(e));
    if (table !== last) {
      say(`  [${((Date.now() - start) / 1000).toFixed(0).padStart(3)}s]`);
      process.stdout.write(table.replace(/^(?=.)/gm, "    "));
      last = table;
    }
    const list = JSON.parse(await cli(["get", "vmm", "-n", NS, "-o", "json"], token)) as { items: Array<{ status?: { phase?: string } }> };
    const phases = list.items.map((m) => m.status?.phase ?? "Pending");
    if (list.items.length === VMS.length && phases.every((p) => p === "Succeeded" || p === "Failed")) break;
    if (Date.now() - start > 600_000) throw new Error("migrations did not finish within 10 minutes; see .demo/landfall.log");
    await sleep(1500);
  }
  await waitFor("VMImport wave-1 to finish", 60_000, async () => {
    const imp = JSON.parse(await cli(["get", "vmimport", "wave-1", "-n", NS, "-o", "json"], token)) as { status?: { phase?: string; vms?: Array<{ adopted?: boolean }> } };
    return imp.status?.phase === "Succeeded" && imp.status.vms?.every((v) => v.adopted) ? true : undefined;
  }).catch(() => undefined);

  say("• the migrated guests boot — what each printed on its serial console:");
  const vms = JSON.parse(await cli(["get", "vm", "-n", NS, "-o", "json"], token)) as { items: Array<{ metadata: { name: string }; status?: { consoleLog?: string } }> };
  for (const vm of vms.items) {
    const log = vm.status?.consoleLog;
    const line = log
      ? await waitFor(`${vm.metadata.name}'s console`, 60_000, async () => (await readFile(log, "utf8")).split("\n").find((l) => l.includes("landfall demo")))
          .catch(() => "(no output yet)")
      : "(no console)";
    say(`  ${vm.metadata.name.padEnd(10)} ${line.trim()}`);
  }
  say("");
  process.stdout.write((await cli(["get", "vm", "-n", NS, "-o", "wide"], token)).replace(/^(?=.)/gm, "  "));
  say(`
Done in ${((Date.now() - start) / 1000).toFixed(0)} s. landfall and the simulator keep running in the background.
Where to look:
  dashboard: ${server}/  (sign in with the token in ${join(dataDir, "admin.token")}; see "Imported VMs" and "Migrations")
  export LANDFALL_SERVER=${server} LANDFALL_TOKEN=$(cat ${join(dataDir, "admin.token")})
  bin/landfall get vm -n ${NS}                 # the VMs, with disk source and adoption
  bin/landfall describe vmm web01 -n ${NS}     # phases, per-disk sha256 at source and target
  bin/landfall get vmimport -n ${NS}           # the batch import and its per-VM progress
  bin/landfall inventory vcenter -n ${NS}      # what the vCenter has
  virsh -c qemu:///system list --all          # the domains landfall defined (${NS}--*)
  curl -s ${server}/metrics | grep landfall_   # Prometheus metrics
  logs: ${join(demoDir, "landfall.log")}
Stop everything the demo started: make demo-stop`);
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
  process.exit(1);
});
