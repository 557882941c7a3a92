// Warm migration end to end: a running 2-disk VM on the vcsim harness (which tracks changed blocks of the
// guest writes the test makes), a real `bin/landfall serve`, real libvirt storage and QEMU. Precopy 0 copies
// everything while the VM runs; the test writes random data at random offsets of both disks; precopy 1 reads
// only those blocks; more writes; `landfall cutover` shuts the source down, copies the last changes and the
// migration finishes as a cold one. Expected disk contents are computed by the test from the bytes it wrote.
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { VirtualMachine } from "../../src/api/virtualmachine.ts";
import { waitForConsole, writeBootDisk } from "../harness/bootdisk.ts";
import { api, applyYaml, landfall, resourcePath, waitFor } from "../harness/landfall.ts";
import { guestBytesSha256 } from "../harness/libvirt.ts";
import { guestWriteRandomly, sha256File, writeRandomContent } from "../harness/vcsim/harness.ts";
import { snapshotNames } from "../harness/vcsim/snapshots.ts";
import { startWarmSuite, type WarmSuite, warmMigrationYaml } from "../harness/warm-suite.ts";

const MiB = 1 << 20;
const VM = "warm01";
const MARKER = "landfall warm01 booted";
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
let suite: WarmSuite;
const disks: Buffer[] = [];

before(async () => {
  suite = await startWarmSuite("warm", async (scratch) => {
    const boot = join(scratch, "d0.raw");
    await writeBootDisk(boot, { sizeBytes: 8 * MiB, marker: MARKER, fill: "random" });
    const data = join(scratch, "d1.raw");
    await writeRandomContent(data, 4 * MiB);
    disks.push(await readFile(boot), await readFile(data));
    return [{ name: VM, uuid: randomUUID(), cpus: 1, memoryMiB: 64, powerOn: true, disks: [{ contentPath: boot }, { contentPath: data }] }];
  });
});

after(() => suite?.close());

const migration = () => suite.migration(VM);

/** Random writes (whole sectors, 64-256 KiB, at random sector offsets past the boot sector) to both disks, applied to the test's own copy too. */
/** Random writes through the guest (not in sector 0, the boot sector); the bytes they cover. */
const writeRandomly = (keys: number[], count: number): Promise<number> => guestWriteRandomly(suite.vc, VM, keys, disks, count, 1);

test("warm: precopy 0 while the VM runs, precopy 1 reads only the changed blocks, cutover copies the rest; the target holds the final bytes and boots", async () => {
  const { srv, ns, vc } = suite;
  const direct = suite.directSource();
  const vm = await direct.getVM({ name: VM });
  assert.equal(vm.changeTrackingEnabled, false, "the VM starts without change tracking");
  const keys = vm.disks.map((d) => d.key);
  const total = disks.reduce((a, d) => a + d.length, 0);

  await applyYaml(srv, warmMigrationYaml(ns, VM, { powerOn: true, precopyInterval: "4s" }));
  const first = await waitFor("precopy 0", 60_000, async () => {
    const m = await migration();
    if (m.status?.phase === "Failed") throw new Error(`migration failed: ${m.status.message}`);
    return m.status?.precopies?.[0]?.completedAt ? m : undefined;
  });
  assert.equal(first.status?.phase, "Precopying");
  assert.equal(first.status?.precopies?.[0].bytes, total, "precopy 0 copies the whole disks");
  assert.ok(first.status?.nextPrecopyAt, "the next precopy is announced");
  assert.equal((await direct.getVM({ id: vm.id })).powerState, "poweredOn", "the VM runs during precopies");

  const written1 = await writeRandomly(keys, 6);
  const wroteAt = Date.now();
  const second = await waitFor("precopy 1", 60_000, async () => {
    const m = await migration();
    if (m.status?.phase === "Failed") throw new Error(`migration failed: ${m.status.message}`);
    return m.status?.precopies?.[1]?.completedAt ? m : undefined;
  });
  const p1 = second.status?.precopies?.[1];
  assert.ok(Date.parse(p1?.startedAt as string) > wroteAt, "the test's writes were done before precopy 1 started (else raise precopyInterval)");
  assert.ok((p1?.bytes ?? 0) >= written1 && (p1?.bytes ?? 0) <= 2 * written1, `precopy 1 read ${p1?.bytes} bytes for ${written1} written (want between 1× and 2×)`);
  assert.deepEqual(await snapshotNames(vc, vm.id), [p1?.snapshotName], "only the newest precopy's snapshot is kept");

  const written2 = await writeRandomly(keys, 4);
  const cut = await landfall(srv, ["cutover", `vmm/${VM}`, "-n", ns]);
  assert.equal(cut.code, 0, cut.stderr);
  assert.match(cut.stdout, new RegExp(`vmmigration/${VM} cuts over at `));

  const done = await waitFor("the migration to finish", 120_000, async () => {
    const m = await migration();
    return m.status?.phase === "Succeeded" || m.status?.phase === "Failed" ? m : undefined;
  });
  assert.equal(done.status?.phase, "Succeeded", done.status?.message);
  const precopies = done.status?.precopies ?? [];
  const final = precopies.at(-1);
  assert.equal(final?.final, true);
  // After the cutover time one more precopy runs with the VM up, then the final one with it off: together they
  // read the second writes, each no more than 2× them.
  const afterFirst = precopies.filter((p) => p.index > 1);
  const readAfter = afterFirst.reduce((a, p) => a + p.bytes, 0);
  assert.ok(readAfter >= written2 && readAfter <= 2 * written2, `precopies ${afterFirst.map((p) => p.index)} read ${readAfter} bytes for ${written2} written`);
  assert.ok(afterFirst.filter((p) => !p.final).length <= 2, "at most the scheduled and the catch-up precopy ran before the final one");
  assert.ok(typeof done.status?.downtimeSeconds === "number" && done.status.downtimeSeconds > 0, `downtimeSeconds recorded: ${done.status?.downtimeSeconds}`);
  assert.ok(done.status?.phaseHistory?.some((h) => h.phase === "CuttingOver"));
  process.stdout.write(
    `warm: ${precopies.map((p) => `precopy ${p.index}${p.final ? " (final)" : ""} ${p.bytes} B in ${p.durationSeconds} s`).join("; ")}; written ${written1} + ${written2} B; downtime ${done.status?.downtimeSeconds} s; phases ${JSON.stringify(done.status?.phaseHistory?.map((h) => [h.phase, h.enteredAt.slice(11, 23)]))}\n`,
  );

  // The target's disks hold the source's final bytes, as the test computed them from what it wrote.
  for (const [i, d] of (done.status?.disks ?? []).entries()) {
    const want = sha(disks[i]);
    assert.equal(d.sha256, `sha256:${want}`, `disk ${i}: the verified staging image is the source's final state`);
    assert.equal(await guestBytesSha256(d.targetPath as string, "qcow2"), want, `disk ${i}: target bytes`);
    // And the simulator, after consolidating every precopy snapshot, holds the same in its base disk.
    assert.equal(await sha256File(join(vc.datastoreDir, VM, `${VM}_${i}-flat.vmdk`), disks[i].length), want, `disk ${i}: source base after consolidation`);
  }
  // Neither disk holds a guest to convert: each sha256 compared above was taken from its staging file after the
  // VM was Ready (ADR 0019), and the boot disk's went onto the VirtualMachine as its disk-checksum.
  for (const i of [0, 1]) assert.match(suite.srv.output(), new RegExp(`warm01-disk${i}-\\S+: staging file read back, \\d+ chunks match their source digests`));
  assert.equal(done.status?.conditions?.find((c) => c.type === "Checksummed")?.status, "True");
  assert.deepEqual(await snapshotNames(vc, vm.id), [], "no snapshot left on the source");
  const after = await direct.getVM({ id: vm.id });
  assert.equal(after.powerState, "poweredOff", "the source stays off after the cutover");
  assert.equal(after.changeTrackingEnabled, false, "change tracking is put back as it was");
  await direct.close();

  const target = (await api<VirtualMachine>(srv, resourcePath(ns, "virtualmachines", VM))).body;
  assert.equal(target.metadata.annotations?.["landfall.dev/disk-checksum"], `sha256:${sha(disks[0])}`, "the VM carries its boot disk's checksum");
  assert.ok(target.status?.consoleLog, "the target VM has a console log");
  await waitForConsole(target.status.consoleLog as string, MARKER, 30_000);
});
