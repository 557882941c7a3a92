import assert from "node:assert/strict";
import { test } from "node:test";
import type { MigrationDisk, Precopy, VMMigration } from "../../api/vmmigration.ts";
import { downtimeSeconds, hashesAfterStart, sha256Pending, durationMs, idleMs, precopySnapshotName, sinceChangeId, staleSnapshots, warmStep } from "./decide-warm.ts";
import { readBackCovers } from "./decide.ts";

const T0 = Date.parse("2026-01-01T10:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

function warm(precopies: Precopy[], extra: { cutover?: string; interval?: string } = {}): VMMigration {
  return {
    apiVersion: "landfall.dev/v1beta1",
    kind: "VMMigration",
    metadata: { name: "w", namespace: "default", uid: "u-1" },
    spec: {
      source: { providerRef: { name: "vc" }, vmName: "web01" },
      target: { providerRef: { name: "kvm" } },
      ...(extra.cutover ? { cutover: extra.cutover } : {}),
      options: { mode: "warm", precopyInterval: extra.interval ?? "30s" },
    },
    status: { phase: "Precopying", precopies },
  } as VMMigration;
}

const done = (index: number, completedAt: number, changeId = `c/${index}`): Precopy => ({
  index,
  snapshotName: `s${index}`,
  startedAt: iso(completedAt - 1000),
  completedAt: iso(completedAt),
  bytes: 1,
  disks: [{ diskID: "d0", changeId, done: true }],
});

test("durationMs reads ms/s/m/h and names the field of a bad value", () => {
  assert.equal(durationMs("10m"), 600_000);
  assert.equal(durationMs("2s"), 2000);
  assert.equal(durationMs("250ms"), 250);
  assert.throws(() => durationMs("10 minutes"), /spec.options.precopyInterval "10 minutes" is not a duration; use e.g. 90s/);
});

test("precopy 0 first, even when the cutover is already due", () => {
  assert.deepEqual(warmStep(warm([], { cutover: iso(T0 - 1) }), T0), { kind: "precopy", index: 0 });
  // Precopy 0 started after the cutover time: nothing to catch up, cut over.
  assert.deepEqual(warmStep(warm([done(0, T0 + 2000)], { cutover: iso(T0) }), T0 + 3000), { kind: "cutover" });
});

test("an open precopy is resumed before anything else", () => {
  const open: Precopy = { index: 1, snapshotName: "s1", startedAt: iso(T0), bytes: 0, disks: [] };
  assert.deepEqual(warmStep(warm([done(0, T0 - 5000), open], { cutover: iso(T0 - 1) }), T0), { kind: "precopy", index: 1 });
});

test("the next precopy is due an interval after the last completed; before that, wait", () => {
  const m = warm([done(0, T0)]);
  assert.deepEqual(warmStep(m, T0 + 10_000), { kind: "wait", ms: 20_000, nextAt: iso(T0 + 30_000) });
  assert.equal(idleMs(m, T0 + 10_000), 20_000);
  assert.deepEqual(warmStep(m, T0 + 30_000), { kind: "precopy", index: 1 });
  assert.equal(idleMs(m, T0 + 30_000), 0);
});

test("a due cutover first takes one more precopy while the VM runs, then cuts over", () => {
  // The last precopy started before the cutover time: its changes since are copied with the VM still running.
  assert.deepEqual(warmStep(warm([done(0, T0)], { cutover: iso(T0 + 5000) }), T0 + 5000), { kind: "precopy", index: 1 });
  // One that started at or after the cutover time has caught up: cut over.
  assert.deepEqual(warmStep(warm([done(0, T0), done(1, T0 + 7000)], { cutover: iso(T0 + 5000) }), T0 + 8000), { kind: "cutover" });
});

test("an earlier cutover shortens the wait", () => {
  const step = warmStep(warm([done(0, T0)], { cutover: iso(T0 + 5000) }), T0 + 1000);
  assert.deepEqual(step, { kind: "wait", ms: 4000, nextAt: iso(T0 + 30_000) });
});

test("a migration outside Precopying is never idle", () => {
  const m = warm([done(0, T0)]);
  (m.status as { phase: string }).phase = "CuttingOver";
  assert.equal(idleMs(m, T0), 0);
});

test("precopy n copies the changes since precopy n-1's changeId, precopy 0 everything", () => {
  const m = warm([done(0, T0, "c/0"), done(1, T0 + 1, "c/1")]);
  assert.equal(sinceChangeId(m, 0, "d0"), undefined);
  assert.equal(sinceChangeId(m, 1, "d0"), "c/0");
  assert.equal(sinceChangeId(m, 2, "d0"), "c/1");
});

test("stale snapshots: every precopy's not yet removed, except the one being copied from", () => {
  const removed = { ...done(0, T0), snapshotRemoved: true };
  const m = warm([removed, done(1, T0 + 1), done(2, T0 + 2)]);
  assert.deepEqual(staleSnapshots(m, 2).map((p) => p.index), [1]);
  assert.deepEqual(staleSnapshots(m).map((p) => p.index), [1, 2]);
});

test("snapshot names derive from the migration's UID and the precopy index", () => {
  assert.equal(precopySnapshotName(warm([]), 3), "landfall-precopy-u-1-3");
});

test("downtime runs from the source powered off to the target ready", () => {
  const m = warm([]);
  assert.equal(downtimeSeconds(m, T0), undefined);
  (m.status as { cutover?: unknown }).cutover = { startedAt: iso(T0), sourceOffAt: iso(T0 + 2000) };
  assert.equal(downtimeSeconds(m, T0 + 9500), 7.5);
});

test("Importing skips the read-back only of the very file an earlier step read back, renamed and unmodified", () => {
  const m = warm([done(0, T0)]);
  (m.status as { cutover?: unknown }).cutover = { startedAt: iso(T0), sourceOffAt: iso(T0 + 2000) };
  const disk: MigrationDisk = { diskID: "d0", sourcePath: "[ds] a.vmdk", sizeBytes: 8, bytesDone: 8, sha256: "sha256:aa", targetSha256: "sha256:aa" };
  const file = { dev: 1, ino: 42, size: 4096, mtimeMs: 1000 };
  assert.equal(readBackCovers(m, disk, file, { ...file }), true);
  assert.equal(readBackCovers(m, disk, file, { ...file, ino: 43 }), false, "copied by the target, not renamed");
  assert.equal(readBackCovers(m, disk, file, { ...file, mtimeMs: 1001 }), false, "written since");
  assert.equal(readBackCovers(m, disk, file, { ...file, size: 8192 }), false, "resized");
  assert.equal(readBackCovers(m, disk, undefined, file), false, "an adopted volume: identity before unknown");
  assert.equal(readBackCovers(m, { ...disk, convertedSha256: "sha256:bb" }, file, file), false, "a converted guest");
  assert.equal(readBackCovers(m, { ...disk, targetSha256: "sha256:cc" }, file, file), false, "the image read back is not the source's");
  const cold = { ...m, spec: { ...m.spec, options: { mode: "cold" as const } }, status: { ...m.status, cutover: undefined } };
  assert.equal(readBackCovers(cold, disk, file, file), true, "cold: Converting read it back");
  assert.equal(readBackCovers(cold, { ...disk, targetSha256: undefined }, file, file), false, "cold, not read back yet");
});

test("the sha256 waits for the VM to run only for a file target's staging pool, a non-raw image, no reread and no guest to convert", () => {
  const m = warm([]);
  const at = { targetFormat: "qcow2", guestConversionPossible: false, fileTarget: true, stagingPool: true };
  assert.equal(hashesAfterStart(m, at), true);
  assert.equal(hashesAfterStart(m, { ...at, targetFormat: "raw" }), false, "raw: the staging file is the image the guest boots");
  assert.equal(hashesAfterStart(m, { ...at, guestConversionPossible: true }), false, "guest conversion hashes the image first");
  assert.equal(hashesAfterStart(m, { ...at, fileTarget: false }), false, "a KubeVirt target checks its copy against the sha256");
  assert.equal(hashesAfterStart(m, { ...at, stagingPool: false }), false, "another pool may be another filesystem: a copy, checked against the sha256");
  assert.equal(hashesAfterStart({ ...m, spec: { ...m.spec, options: { mode: "warm", verifySource: "reread" } } }, at), false, "reread compares the hash at cutover");
  assert.equal(hashesAfterStart({ ...m, spec: { ...m.spec, options: { mode: "cold" } } }, at), false);
});

test("a warm disk verified at cutover without a sha256 is pending until hashed or recorded unavailable; Importing trusts its rename", () => {
  const m = warm([done(0, T0)]);
  const disk: MigrationDisk = { diskID: "d0", sourcePath: "[ds] a.vmdk", sizeBytes: 8, bytesDone: 8, state: "Transferred" };
  assert.equal(sha256Pending(m, disk), false, "no cutover yet");
  (m.status as { cutover?: unknown }).cutover = { startedAt: iso(T0), sourceOffAt: iso(T0 + 2000) };
  assert.equal(sha256Pending(m, disk), true);
  assert.equal(sha256Pending(m, { ...disk, state: "Verified" }), true);
  assert.equal(sha256Pending(m, { ...disk, state: "Transferring" }), false, "not verified by the cutover yet");
  assert.equal(sha256Pending(m, { ...disk, sha256: "sha256:aa" }), false, "hashed");
  const file = { dev: 1, ino: 42, size: 4096, mtimeMs: 1000 };
  assert.equal(readBackCovers(m, { ...disk, state: "Converted" }, file, { ...file }), true, "the renamed image the cutover verified chunk by chunk");
  assert.equal(readBackCovers(m, { ...disk, state: "Converted" }, file, { ...file, mtimeMs: 1001 }), false, "written since");
  const gaveUp = { ...m, status: { ...m.status, conditions: [{ type: "Checksummed", status: "False", reason: "ChecksumUnavailable", message: "x", lastTransitionTime: iso(T0) }] } } as VMMigration;
  assert.equal(sha256Pending(gaveUp, disk), false, "recorded unavailable: not hashed again");
});
