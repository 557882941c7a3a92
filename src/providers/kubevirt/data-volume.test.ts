// What a DataVolume's status means for verification, without a cluster.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type DataVolume, MAX_IMPORTER_RESTARTS, quantityBytes, volumeVerdict } from "./data-volume.ts";

const where = { namespace: "vms", name: "web01-disk0", checksumKey: "landfall.dev/disk-checksum" };
const SHA = `sha256:${"ab".repeat(32)}`;
const dv = (status: DataVolume["status"], { checksum = SHA as string | null, guest = SHA as string | null } = {}): DataVolume => ({
  metadata: { name: "web01-disk0", ...(guest ? { annotations: { [where.checksumKey]: guest } } : {}) },
  spec: { source: { http: { url: "https://landfall/x", ...(checksum ? { checksum } : {}) } } },
  status,
});

test("Succeeded with the checksum CDI verified: the guest-visible hash recorded with it", () => {
  assert.deepEqual(volumeVerdict(dv({ phase: "Succeeded" }), where), { state: "verified", sha256: SHA });
});

test("still importing: not verified yet, with the phase and progress", () => {
  assert.deepEqual(volumeVerdict(dv({ phase: "ImportInProgress", progress: "42.0%" }), where), { state: "importing", message: "DataVolume vms/web01-disk0 is ImportInProgress (42.0%)" });
  assert.equal(volumeVerdict(dv(undefined), where).state, "importing");
});

test("Failed on a checksum is ChecksumMismatch; any other failure ImportFailed; both carry CDI's message", () => {
  const mismatch = volumeVerdict(dv({ phase: "Failed", conditions: [{ type: "Running", status: "False", reason: "Error", message: "checksum mismatch: expected x" }] }), where);
  assert.deepEqual(mismatch, { state: "failed", code: "ChecksumMismatch", message: "DataVolume vms/web01-disk0: CDI's import failed: checksum mismatch: expected x" });
  const other = volumeVerdict(dv({ phase: "Failed", conditions: [{ type: "Running", status: "False", message: "no route to host" }] }), where);
  assert.equal(other.state === "failed" && other.code, "ImportFailed");
});

test("a real CDI importer's error while ImportInProgress: a checksum mismatch fails at once, other errors after repeated restarts", () => {
  const running = (message: string, restartCount: number): DataVolume["status"] => ({ phase: "ImportInProgress", restartCount, conditions: [{ type: "Running", status: "False", reason: "Error", message }] });
  const mismatch = volumeVerdict(dv(running("Unable to process data: checksum mismatch", 0)), where);
  assert.equal(mismatch.state === "failed" && mismatch.code, "ChecksumMismatch");
  assert.equal(volumeVerdict(dv(running("connection refused", MAX_IMPORTER_RESTARTS - 1)), where).state, "importing", "transient: CDI retries");
  const given = volumeVerdict(dv(running("connection refused", MAX_IMPORTER_RESTARTS)), where);
  assert.equal(given.state === "failed" && given.code, "ImportFailed");
});

test("Succeeded without a checksum proves nothing: not verified", () => {
  assert.equal(volumeVerdict(dv({ phase: "Succeeded" }, { checksum: null }), where).state, "failed");
  assert.equal(volumeVerdict(dv({ phase: "Succeeded" }, { guest: null }), where).state, "failed");
});

test("a DataVolume deleted while importing fails", () => {
  assert.deepEqual(volumeVerdict(undefined, where), { state: "failed", code: "NotFound", message: "DataVolume vms/web01-disk0 is gone; it was deleted while CDI imported it" });
});

test("storage quantities in bytes", () => {
  assert.equal(quantityBytes("16Gi"), 16 * 2 ** 30);
  assert.equal(quantityBytes("1048577"), 1048577);
  assert.equal(quantityBytes("2G"), 2e9);
  assert.equal(quantityBytes("lots"), undefined);
});
