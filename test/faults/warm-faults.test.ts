// Warm migration under kill -9: the test-only composition (test/harness/faulty-serve.ts) SIGKILLs the server
// mid-precopy (disk 0's changed blocks written into staging, not yet recorded), after the guest was shut down
// for the cutover, after the cutover's final snapshot exists, and after the final delta was written into the
// target image (source off) but before that was recorded, and after the target VM is Ready but before the
// sha256 taken from the staging file is recorded; a normal `bin/landfall serve` on the same data dir must
// converge to Succeeded with every disk equal to the source's final bytes (computed by the test from what it
// wrote), no snapshot left, change tracking put back, the source off, the staging directory gone, and no
// precopy having read more than the blocks that changed (≤ 2 × the bytes written in its interval). Two damage
// rows run on the test composition to the end: a byte of the target image damaged right after a later precopy
// rewrote a chunk precopy 0 had verified (caught by the read-back and written again), and a byte of the staging
// file damaged before the sha256 is taken from it (no sha256 recorded, condition ChecksumUnavailable).
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { VMMigration } from "../../src/api/vmmigration.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { createVsphereSource } from "../../src/providers/vsphere/source-provider.ts";
import { exited, startFaultyServer } from "../harness/faulty-server.ts";
import type { FaultPoint } from "../harness/faulty-wiring.ts";
import { api, applyYaml, resourcePath, waitFor } from "../harness/landfall.ts";
import { createTempLibvirt, guestBytesSha256, type TempLibvirt } from "../harness/libvirt.ts";
import { applySourceAndTarget } from "../harness/providers.ts";
import { guestWriteRandomly, startVcsim, type Vcsim, writeRandomContent } from "../harness/vcsim/harness.ts";
import { snapshotNames } from "../harness/vcsim/snapshots.ts";
import { warmMigrationYaml } from "../harness/warm-suite.ts";

const MiB = 1 << 20;
const env = { LANDFALL_LOG_FORMAT: "text" };
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

interface Row {
  fault: string;
  at: FaultPoint;
  vm: string;
  /** When the crash comes: during precopy 1 (the test sets the cutover after the restart) or during the cutover. */
  during: "precopy" | "cutover";
}

const ROWS: Row[] = [
  { fault: "warm: crash mid-precopy", at: "midPrecopy", vm: "w-midpre", during: "precopy" },
  { fault: "warm: crash after the guest is shut down for the cutover", at: "afterShutdown", vm: "w-shut", during: "cutover" },
  { fault: "warm: crash after the final snapshot (mid-cutover)", at: "afterFinalSnapshot", vm: "w-final", during: "cutover" },
  { fault: "warm: crash after the final delta is in the target image, before it is recorded", at: "afterFinalDelta", vm: "w-delta", during: "cutover" },
  { fault: "warm: crash after the target VM is Ready, before the sha256 from the staging file is recorded", at: "beforeStagingSha256", vm: "w-hash", during: "cutover" },
];

const DAMAGE_ROWS: Array<{ fault: string; at: FaultPoint; vm: string }> = [
  { fault: "warm: a byte of a target-image chunk verified in precopy 0 is damaged after a later precopy rewrote it: caught, written again", at: "corruptTargetDelta", vm: "w-dmgimg" },
  { fault: "warm: a staging byte is damaged before the sha256 is taken from it: no sha256, ChecksumUnavailable", at: "corruptStagingBeforeSha256", vm: "w-dmgstg" },
];

let vc: Vcsim;
let lv: TempLibvirt;
let ns: string;
let dataDir: string;
const contents = new Map<string, Buffer[]>();

before(async () => {
  lv = await createTempLibvirt("wfault");
  ns = lv.prefix;
  const vms = [];
  for (const row of [...ROWS, ...DAMAGE_ROWS]) {
    const disks = [];
    const bytes: Buffer[] = [];
    for (const [i, size] of [6 * MiB, 3 * MiB].entries()) {
      const path = join(lv.scratchDir, `${row.vm}-${i}.raw`);
      await writeRandomContent(path, size);
      bytes.push(await readFile(path));
      disks.push({ contentPath: path });
    }
    contents.set(row.vm, bytes);
    vms.push({ name: row.vm, uuid: randomUUID(), cpus: 1, memoryMiB: 64, powerOn: true, disks });
  }
  vc = await startVcsim({ vms });
  dataDir = await mkdtemp(join(tmpdir(), "landfall-warm-faults-"));
  const srv = await startServeProcess({ dataDir, env });
  await applySourceAndTarget(srv, ns, vc, lv);
  await srv.stop();
});

after(async () => {
  await vc?.stop();
  await lv?.cleanup();
  if (dataDir) {
    await rm(dataDir, { recursive: true, force: true });
    await rm(`${dataDir}.fault.json`, { force: true });
  }
});

const migration = async (s: ServeProcess, name: string) => (await api<VMMigration>(s, resourcePath(ns, "vmmigrations", name))).body;

async function precopyDone(s: ServeProcess, name: string, index: number): Promise<VMMigration> {
  return waitFor(`${name} precopy ${index}`, 60_000, async () => {
    const m = await migration(s, name);
    if (m.status?.phase === "Failed") throw new Error(`${name} failed: ${m.status.message}`);
    return m.status?.precopies?.find((p) => p.index === index)?.completedAt ? m : undefined;
  });
}

/** Random whole-sector writes to both disks of the VM (the test's copy follows); returns the bytes they cover. */
async function writeRandomly(vm: string, count: number): Promise<number> {
  const p = createVsphereSource({ endpoint: vc.url, username: vc.username, password: vc.password, tls: { insecureSkipVerify: true } });
  const keys = (await p.getVM({ name: vm })).disks.map((d) => d.key);
  await p.close();
  return guestWriteRandomly(vc, vm, keys, contents.get(vm) as Buffer[], count);
}

/** The warm VMMigration every row runs: precopies every 3 s into qcow2, the target left off. */
const applyWarmMigration = (s: ServeProcess, vm: string) => applyYaml(s, warmMigrationYaml(ns, vm, { powerOn: false, precopyInterval: "3s" }));

const setCutover = (s: ServeProcess, name: string) =>
  api(s, resourcePath(ns, "vmmigrations", name), {
    method: "PATCH",
    headers: { "content-type": "application/merge-patch+json" },
    body: JSON.stringify({ spec: { cutover: new Date().toISOString() } }),
  });

for (const row of ROWS) {
  test(row.fault, async () => {
    const faulty = await startFaultyServer(dataDir, { at: row.at, vm: row.vm }, env);
    let written = 0;
    try {
      await applyWarmMigration(faulty, row.vm);
      await precopyDone(faulty, row.vm, 0);
      written = await writeRandomly(row.vm, 4);
      if (row.during === "cutover") {
        await precopyDone(faulty, row.vm, 1);
        written = await writeRandomly(row.vm, 4);
        await setCutover(faulty, row.vm);
      }
      assert.equal(await exited(faulty, 60_000), "SIGKILL", `the test composition killed the server at ${row.at}`);
      assert.match(faulty.output(), new RegExp(`SIGKILL at ${row.at}`));
    } finally {
      await faulty.stop();
    }
    const srv = await startServeProcess({ dataDir, env });
    try {
      if (row.during === "precopy") {
        const resumed = await precopyDone(srv, row.vm, 1);
        const p1 = resumed.status?.precopies?.[1];
        assert.ok((p1?.bytes ?? 0) >= written && (p1?.bytes ?? 0) <= 2 * written, `resumed precopy 1 read ${p1?.bytes} bytes for ${written} written`);
        written = await writeRandomly(row.vm, 3);
        await setCutover(srv, row.vm);
      }
      const m = await waitFor(`${row.vm} to finish`, 120_000, async () => {
        const x = await migration(srv, row.vm);
        return x.status?.phase === "Succeeded" || x.status?.phase === "Failed" ? x : undefined;
      });
      assert.equal(m.status?.phase, "Succeeded", m.status?.message);
      const final = m.status?.precopies?.at(-1);
      assert.equal(final?.final, true);
      assert.equal(m.status?.precopies?.filter((p) => p.final).length, 1, "one final precopy, resumed rather than repeated");
      assert.ok((final?.bytes ?? 0) <= 2 * written, `the final precopy read ${final?.bytes} bytes for ${written} written`);
      assert.ok((m.status?.downtimeSeconds ?? 0) > 0, "downtime recorded");
      const disks = contents.get(row.vm) as Buffer[];
      for (const [i, d] of (m.status?.disks ?? []).entries()) {
        assert.equal(d.sha256, `sha256:${sha(disks[i])}`, `disk ${i} verified as the source's final bytes`);
        assert.equal(await guestBytesSha256(d.targetPath as string, "qcow2"), sha(disks[i]), `disk ${i} target bytes`);
      }
      assert.equal(m.status?.conditions?.find((c) => c.type === "Checksummed")?.status, "True", "every sha256 recorded");
      await assertStagingRemoved(m);
      if (row.at === "beforeStagingSha256") {
        const offToDone = (Date.parse(m.status?.completedAt as string) - Date.parse(m.status?.cutover?.sourceOffAt as string)) / 1000;
        assert.ok((m.status?.downtimeSeconds ?? 0) < offToDone, `the downtime recorded before the crash (${m.status?.downtimeSeconds} s) is kept, not measured again after the restart (${offToDone} s)`);
      }
      const volumes = (await readdir(lv.poolPath)).filter((f) => f.includes(`${row.vm}-disk`));
      assert.equal(volumes.length, disks.length, "one volume per disk");
      const vmID = m.status?.source?.vmID as string;
      assert.deepEqual(await snapshotNames(vc, vmID), [], "no snapshot left on the source");
      const p = createVsphereSource({ endpoint: vc.url, username: vc.username, password: vc.password, tls: { insecureSkipVerify: true } });
      const source = await p.getVM({ id: vmID });
      await p.close();
      assert.equal(source.powerState, "poweredOff");
      assert.equal(source.changeTrackingEnabled, false, "change tracking put back as it was");
    } finally {
      await srv.stop();
    }
  });
}

async function assertStagingRemoved(m: VMMigration): Promise<void> {
  const staging = await readdir(join(lv.poolPath, ".landfall-staging")).catch((): string[] => []);
  assert.ok(!staging.includes(m.metadata.uid as string), "the staging directory is removed once every sha256 is recorded");
}

for (const row of DAMAGE_ROWS) {
  test(row.fault, async () => {
    const srv = await startFaultyServer(dataDir, { at: row.at, vm: row.vm }, env);
    try {
      await applyWarmMigration(srv, row.vm);
      await precopyDone(srv, row.vm, 0);
      await writeRandomly(row.vm, 4);
      await precopyDone(srv, row.vm, 1);
      await writeRandomly(row.vm, 4);
      await setCutover(srv, row.vm);
      const m = await waitFor(`${row.vm} to finish`, 120_000, async () => {
        const x = await migration(srv, row.vm);
        return x.status?.phase === "Succeeded" || x.status?.phase === "Failed" ? x : undefined;
      });
      assert.equal(m.status?.phase, "Succeeded", m.status?.message);
      const disks = contents.get(row.vm) as Buffer[];
      const [d0, d1] = m.status?.disks ?? [];
      for (const [i, d] of [d0, d1].entries()) assert.equal(await guestBytesSha256(d.targetPath as string, "qcow2"), sha(disks[i]), `disk ${i}: target bytes are the source's final bytes`);
      assert.equal(d1.sha256, `sha256:${sha(disks[1])}`, "the undamaged disk's sha256 is recorded");
      const checksummed = m.status?.conditions?.find((c) => c.type === "Checksummed");
      if (row.at === "corruptTargetDelta") {
        assert.match(srv.output(), /faulty-serve: damaged .*disk0.* at guest byte/);
        assert.match(srv.output(), /chunks of \S+ written since their last verification differ from their source digests; writing them again from the staging file/);
        assert.equal(d0.sha256, `sha256:${sha(disks[0])}`, "disk 0 verified as the source's final bytes after the repair");
        assert.equal(checksummed?.status, "True");
      } else {
        assert.equal(d0.sha256, undefined, "no sha256 is recorded from a staging file that no longer matches its digests");
        assert.equal(checksummed?.status, "False");
        assert.equal(checksummed?.reason, "ChecksumUnavailable");
        assert.match(checksummed?.message ?? "", /chunks of the staging file .* no longer match their source digests, so no sha256 is recorded/);
      }
      await assertStagingRemoved(m);
    } finally {
      await srv.stop();
    }
  });
}
