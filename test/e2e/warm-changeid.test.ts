// Warm migration when the cutover comes during a precopy and the source forgets the changeId it issued: a
// throttled precopy 0 is running when the test (1) writes to the guest, (2) resets the VM's changed-block
// tracking on the vcsim harness (as ESXi does when someone else consolidates the snapshot chain) and (3) asks
// for the cutover. Precopy 0 must finish whole before the cutover starts (no race); the catch-up precopy's
// QueryChangedDiskAreas is refused, so that disk is copied in full with a ChangeIdLost Warning — never patched
// from a guess — and the target holds the source's final bytes, computed by the test.
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { api, applyYaml, resourcePath, waitFor } from "../harness/landfall.ts";
import { guestBytesSha256 } from "../harness/libvirt.ts";
import { guestWrite, resetChangeTracking, writeRandomContent } from "../harness/vcsim/harness.ts";
import { startWarmSuite, type WarmSuite, warmMigrationYaml } from "../harness/warm-suite.ts";

const MiB = 1 << 20;
const VM = "wcid01";
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
let suite: WarmSuite;
let content: Buffer;

before(async () => {
  suite = await startWarmSuite("wcid", async (scratch) => {
    const path = join(scratch, "d0.raw");
    await writeRandomContent(path, 8 * MiB);
    content = await readFile(path);
    return [{ name: VM, uuid: randomUUID(), cpus: 1, memoryMiB: 64, powerOn: true, disks: [{ contentPath: path }] }];
  });
});

after(() => suite?.close());

test("warm: a cutover asked for mid-precopy waits for it; a changeId the source lost means a full recopy of that disk, with an event", async () => {
  const { srv, ns, vc } = suite;
  const migration = () => suite.migration(VM);
  const direct = suite.directSource();
  const key = (await direct.getVM({ name: VM })).disks[0].key;
  await direct.close();
  // 8 MiB at 2 MiB/s: precopy 0 runs for about 4 s.
  await applyYaml(srv, warmMigrationYaml(ns, VM, { powerOn: false, precopyInterval: "1h", extraOptions: "bandwidthMiBps: 2" }));
  await waitFor("precopy 0 to have its snapshot", 60_000, async () => {
    const m = await migration();
    if (m.status?.phase === "Failed") throw new Error(`migration failed: ${m.status.message}`);
    return m.status?.precopies?.[0]?.snapshotID ? m : undefined;
  });
  const bytes = randomBytes(256 * 1024);
  await guestWrite(vc, VM, key, 3 * MiB + 4096, bytes);
  bytes.copy(content, 3 * MiB + 4096);
  await resetChangeTracking(vc, VM);
  assert.equal(await suite.cutoverNow(VM), 200);
  const during = await migration();
  assert.equal(during.status?.precopies?.[0]?.completedAt, undefined, "the cutover was asked for while precopy 0 ran (else lower bandwidthMiBps)");

  const done = await waitFor("the migration to finish", 180_000, async () => {
    const m = await migration();
    return m.status?.phase === "Succeeded" || m.status?.phase === "Failed" ? m : undefined;
  });
  assert.equal(done.status?.phase, "Succeeded", done.status?.message);
  const [p0, p1, ...rest] = done.status?.precopies ?? [];
  assert.equal(p0.bytes, content.length, "precopy 0 copied the whole disk");
  assert.ok(Date.parse(p0.completedAt as string) <= Date.parse(done.status?.cutover?.startedAt as string), "the cutover started only after precopy 0 finished");
  assert.equal(p1.final, undefined, "a catch-up precopy ran with the VM up");
  assert.equal(p1.bytes, content.length, "the lost changeId made the catch-up precopy copy the disk in full");
  assert.equal(rest.at(-1)?.final, true);
  assert.equal(rest.at(-1)?.bytes, 0, "nothing changed after the catch-up");
  const events = await api<{ items?: Array<{ reason: string; type: string; message: string }> }>(srv, `${resourcePath(ns, "vmmigrations", VM)}/events`);
  const lost = (events.body.items ?? []).filter((e) => e.reason === "ChangeIdLost");
  assert.equal(lost.length, 1, JSON.stringify(events.body.items?.map((e) => e.reason)));
  assert.equal(lost[0].type, "Warning");
  assert.match(lost[0].message, /no longer knows the previous changeId .*copying the whole disk/);
  const disk = done.status?.disks?.[0];
  assert.equal(disk?.sha256, `sha256:${sha(content)}`, "verified as the source's final bytes");
  assert.equal(await guestBytesSha256(disk?.targetPath as string, "qcow2"), sha(content), "target bytes");
});
