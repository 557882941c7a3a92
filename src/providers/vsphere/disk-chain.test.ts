import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDatastorePath } from "./datastore-path.ts";
import { type ChainLayer, layerFromHead, parentOf, planChainRead } from "./disk-chain.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const at = (p: string) => parseDatastorePath(`[ds] web01/${p}`);
const MiB = 1 << 20;

const flatBase = layerFromHead(at("web01.vmdk"), enc('CID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\nRW 2048 FLAT "web01-flat.vmdk" 0\n'));
const delta = (name: string, parent: string) =>
  layerFromHead(at(name), enc(`CID=12345678\nparentCID=fffffffe\ncreateType="vmfsSparse"\nparentFileNameHint="${parent}"\nRW 2048 VMFSSPARSE "${name.replace(".vmdk", "-delta.vmdk")}"\n`));

test("a descriptor layer lists its extent files; a delta names its parent inside the VM's directory", () => {
  assert.deepEqual(flatBase.files.map((f) => f.path), ["web01/web01.vmdk", "web01/web01-flat.vmdk"]);
  assert.equal(parentOf(flatBase), undefined);
  const d1 = delta("web01-000001.vmdk", "web01.vmdk");
  assert.deepEqual(parentOf(d1), at("web01.vmdk"));
  assert.deepEqual(d1.files.map((f) => f.path), ["web01/web01-000001.vmdk", "web01/web01-000001-delta.vmdk"]);
});

test("a parent or extent outside the VM's directory is refused (crafted descriptors cannot read other files)", () => {
  assert.throws(() => parentOf(delta("a-000001.vmdk", "/vmfs/volumes/other/base.vmdk")), (e: Error & { code?: string }) => e.code === "NotSupported" && /absolute host path/.test(e.message));
  assert.throws(() => parentOf(delta("a-000001.vmdk", "../other/base.vmdk")), /leaves the VM's directory/);
  assert.throws(() => layerFromHead(at("x.vmdk"), enc('createType="monolithicFlat"\nRW 2048 FLAT "../secret-flat.vmdk" 0\n')), /leaves the VM's directory/);
  const noHint = layerFromHead(at("a-000001.vmdk"), enc('parentCID=fffffffe\ncreateType="vmfsSparse"\nRW 2048 VMFSSPARSE "a-000001-delta.vmdk"\n'));
  assert.throws(() => parentOf(noHint), /without parentFileNameHint/);
});

test("planChainRead: one flat layer reads by range; deltas over a flat base download only the deltas; sparse bases download everything", () => {
  assert.deepEqual(planChainRead([flatBase], MiB, "[ds] web01/web01.vmdk"), { kind: "raw" });
  const d1 = delta("web01-000001.vmdk", "web01.vmdk");
  const d2 = delta("web01-000002.vmdk", "web01-000001.vmdk");
  const plan = planChainRead([d2, d1, flatBase], MiB, "disk");
  assert.equal(plan.kind, "composed");
  assert.deepEqual(plan.kind === "composed" && plan.download.map((l) => l.path.path), ["web01/web01-000002.vmdk", "web01/web01-000001.vmdk"]);
  assert.equal(plan.kind === "composed" && plan.remoteBase, flatBase);
  const stream = layerFromHead(at("s.vmdk"), enc('createType="streamOptimized"\nRW 2048 SPARSE "s.vmdk"\n'));
  assert.deepEqual(planChainRead([stream], MiB, "disk"), { kind: "composed", download: [stream] });
});

test("planChainRead refuses what cannot be read, naming the file, its format and what to do", () => {
  const rdm = layerFromHead(at("r.vmdk"), enc('createType="vmfsRawDeviceMap"\nRW 2048 VMFSRDM "r-rdm.vmdk"\n'));
  assert.throws(() => planChainRead([rdm], MiB, "disk"), (e: Error & { code?: string }) => e.code === "NotSupported" && /\[ds\] web01\/r\.vmdk is a raw device mapping.*use transport nfc/.test(e.message));
  const odd = layerFromHead(at("v.vmdk"), enc('createType="vsanSparse"\nRW 2048 VSANSPARSE "v.vmdk"\n'));
  assert.throws(() => planChainRead([odd], MiB, "disk"), /VSANSPARSE extent \(format "vsanSparse"\).*consolidate the VM's snapshots/);
  const cowd = layerFromHead(at("c-delta.vmdk"), enc("COWD\x01\0\0\0"));
  assert.throws(() => planChainRead([cowd], MiB, "disk"), /bare vmfsSparse \(COWD\) extent/);
  assert.throws(() => planChainRead([flatBase], MiB / 2, "disk"), /describes 1048576 bytes but the VM's device reports 524288/);
  assert.equal(planChainRead([flatBase], 2 * MiB, "disk").kind, "raw", "a descriptor shorter than the device reads its tail as zeros");
});

test("an empty placeholder layer reads as zeros and needs nothing downloaded", () => {
  const empty: ChainLayer = layerFromHead(at("p.vmdk"), new Uint8Array());
  assert.equal(empty.empty, true);
  assert.deepEqual(planChainRead([empty], MiB, "disk"), { kind: "raw" });
});
