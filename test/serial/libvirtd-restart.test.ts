// The fault matrix's libvirtd row: libvirtd is restarted mid-reconcile — after a migration's volume went into the
// pool and before the domain is defined — by the test that started it (test/run.sh records the daemons it
// started in LANDFALL_TEST_LIBVIRT_PIDFILE; this suite runs alone, after the others, so no other suite loses its
// daemon). The migration must converge: Succeeded, every disk equal to the source's bytes, one volume per disk,
// one domain. Real vcsim, libvirtd, QEMU and qemu-img; the hold comes from the test-only composition.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { VMMigration } from "../../src/api/vmmigration.ts";
import type { ServeProcess } from "../../src/compose/serve-process.ts";
import { startFaultyServer } from "../harness/faulty-server.ts";
import { api, resourcePath, waitFor } from "../harness/landfall.ts";
import { createTempLibvirt, guestBytesSha256, type TempLibvirt, virsh } from "../harness/libvirt.ts";
import { applySourceAndTarget } from "../harness/providers.ts";
import { sha256File, startVcsim, type Vcsim, writeRandomContent } from "../harness/vcsim/harness.ts";

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MiB = 1 << 20;
const VM = "f-libvirtd";
const SIZES = [6 * MiB, 4 * MiB];

let vc: Vcsim;
let lv: TempLibvirt;
let dataDir: string;
let srv: ServeProcess | undefined;

/** The "NAME PID" lines test/run.sh wrote for the daemons it started. */
async function startedDaemons(): Promise<{ file: string; lines: Array<{ name: string; pid: number }> }> {
  const file = process.env.LANDFALL_TEST_LIBVIRT_PIDFILE;
  assert.ok(file, "run this suite through test/run.sh (make test): it records the libvirt daemons it starts");
  const lines = (await readFile(file, "utf8"))
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => {
      const [name, pid] = l.trim().split(/\s+/);
      return { name, pid: Number(pid) };
    });
  return { file, lines };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

before(async () => {
  const { lines } = await startedDaemons();
  assert.ok(
    lines.some((l) => l.name === "libvirtd"),
    "libvirtd was already running when the tests started, so this run did not start it and must not restart it: stop it (make demo-stop stops the demo's) and run make test again",
  );
  lv = await createTempLibvirt("lvrestart");
  const disks = [];
  for (const [i, size] of SIZES.entries()) {
    const path = join(lv.scratchDir, `${VM}-${i}.raw`);
    await writeRandomContent(path, size);
    disks.push({ contentPath: path, capacityBytes: size });
  }
  vc = await startVcsim({ vms: [{ name: VM, uuid: randomUUID(), cpus: 1, memoryMiB: 64, powerOn: true, disks }] });
  dataDir = await mkdtemp(join(tmpdir(), "landfall-lvrestart-"));
});

after(async () => {
  await srv?.stop();
  await vc?.stop();
  await lv?.cleanup();
  if (dataDir) {
    await rm(dataDir, { recursive: true, force: true });
    await rm(`${dataDir}.fault.json`, { force: true });
    await rm(`${dataDir}.release`, { force: true });
  }
});

test("libvirtd restarted mid-reconcile (after the volume is in the pool, before the domain is defined): the migration converges", async () => {
  const release = `${dataDir}.release`;
  srv = await startFaultyServer(dataDir, { at: "holdAfterImport", vm: VM, releaseFile: release });
  const s = srv;
  const ns = lv.prefix;
  await applySourceAndTarget(s, ns, vc, lv, {
    more: [
      `apiVersion: landfall.dev/v1beta1
kind: VMMigration
metadata: {name: ${VM}, namespace: ${ns}}
spec:
  source: {providerRef: {name: vcenter}, vmName: ${VM}}
  target: {providerRef: {name: kvm}, vmName: ${VM}, powerOn: true}
  options: {diskFormat: qcow2, verifyChecksums: true}
`,
    ],
  });
  await waitFor("the migration to hold after its first volume is in the pool", 120_000, async () => (s.output().includes("holding at afterImport") ? true : undefined), 100);

  // Restart the libvirtd this run started: SIGTERM by PID, wait until it is gone, start a new one, record it.
  const { file, lines } = await startedDaemons();
  const old = lines.find((l) => l.name === "libvirtd") as { name: string; pid: number };
  process.kill(old.pid, "SIGTERM");
  await waitFor("the old libvirtd to exit", 30_000, async () => (alive(old.pid) ? undefined : true), 100);
  const { stdout } = await exec(join(ROOT, "scripts/libvirt-up.sh"), [], { timeout: 90_000 });
  const fresh = stdout
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .find(([name]) => name === "libvirtd");
  assert.ok(fresh, `scripts/libvirt-up.sh started a new libvirtd (it printed ${JSON.stringify(stdout)})`);
  const pid = Number(fresh[1]);
  assert.notEqual(pid, old.pid);
  await writeFile(file, `${lines.filter((l) => l.name !== "libvirtd").map((l) => `${l.name} ${l.pid}\n`).join("")}libvirtd ${pid}\n`);
  await writeFile(release, "");

  const m = await waitFor(
    `VMMigration ${VM} to finish`,
    180_000,
    async () => {
      const got = (await api<VMMigration>(s, resourcePath(ns, "vmmigrations", VM))).body;
      return got.status?.phase === "Succeeded" || got.status?.phase === "Failed" ? got : undefined;
    },
    250,
  );
  assert.equal(m.status?.phase, "Succeeded", m.status?.message);
  assert.match(s.output(), /released at afterImport/);
  const disks = m.status?.disks ?? [];
  assert.equal(disks.length, SIZES.length);
  for (const [i, d] of disks.entries()) {
    const want = await sha256File(join(vc.datastoreDir, VM, `${VM}_${i}-flat.vmdk`), SIZES[i]);
    assert.equal(await guestBytesSha256(d.targetPath as string, "qcow2"), want, `disk ${i} equals the source's bytes`);
    assert.equal(d.sha256, `sha256:${want}`);
  }
  const volumes = (await readdir(lv.poolPath)).filter((f) => f.includes(`${VM}-disk`));
  assert.deepEqual(volumes.sort(), disks.map((d) => `${d.diskID}.qcow2`).sort(), "exactly one volume per disk");
  const domain = `${ns}--${VM}`;
  assert.equal((await virsh(["list", "--all", "--name"])).split("\n").filter((n) => n.trim() === domain).length, 1, "exactly one domain");
  await waitFor("the domain to run", 60_000, async () => ((await virsh(["domstate", domain])).trim() === "running" ? true : undefined), 250);
  process.stdout.write(`\nfault matrix (serial): libvirtd restarted mid-reconcile (pid ${old.pid} → ${pid}): recovered, data lost 0\n`);
});
