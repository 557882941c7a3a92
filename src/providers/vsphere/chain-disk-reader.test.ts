import assert from "node:assert/strict";
import { mkdtemp, open, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type ComposeSources, ComposedDiskReader, openComposedDisk, segmentsFromMap } from "./chain-disk-reader.ts";
import { parseDatastorePath } from "./datastore-path.ts";
import { layerFromHead } from "./disk-chain.ts";
import { deviceUrlSuffix } from "./nfc-export.ts";

test("segmentsFromMap sends base-depth ranges to the flat base, delta ranges to the composed file, holes to zeros", () => {
  const map = [
    { start: 0, length: 65536, depth: 0, present: true },
    { start: 65536, length: 65536, depth: 1, present: true },
    { start: 131072, length: 131072, depth: 2, present: true },
    { start: 262144, length: 4096, depth: 2, present: true },
    { start: 266240, length: 4096, depth: 1, present: false },
  ];
  assert.deepEqual(segmentsFromMap(map, 2), [
    { start: 0, end: 131072, source: "local" },
    { start: 131072, end: 266240, source: "base" },
    { start: 266240, end: 270336, source: "zero" },
  ]);
  // Without a remote base everything present is in the composed file.
  assert.deepEqual(segmentsFromMap(map, undefined).map((s) => s.source), ["local", "zero"]);
});

test("deviceUrlSuffix names a disk as ESXi's deviceUrl key does: controller type, bus and unit", () => {
  const devices = [
    { "@_type": "ParaVirtualSCSIController", key: "1000", busNumber: "0" },
    { "@_type": "VirtualLsiLogicController", key: "1001", busNumber: "1" },
    { "@_type": "VirtualDisk", key: "2000", controllerKey: "1000", unitNumber: "0" },
    { "@_type": "VirtualDisk", key: "2001", controllerKey: "1001", unitNumber: "3" },
  ];
  assert.equal(deviceUrlSuffix(devices, 2000), "ParaVirtualSCSIController0:0");
  assert.equal(deviceUrlSuffix(devices, 2001), "VirtualLsiLogicController1:3");
  assert.equal(deviceUrlSuffix(devices, 9), undefined);
});

test("a layer whose downloaded bytes name another parent than the one checked is refused, and its scratch directory removed", async () => {
  const scratch = await mkdtemp(join(tmpdir(), "landfall-chain-test-"));
  try {
    const at = (p: string) => parseDatastorePath(`[ds] vm/${p}`);
    const checked = 'parentCID=fffffffe\ncreateType="vmfsSparse"\nparentFileNameHint="vm.vmdk"\nRW 2048 VMFSSPARSE "vm-000001-delta.vmdk"\n';
    const delta = layerFromHead(at("vm-000001.vmdk"), new TextEncoder().encode(checked));
    const base = layerFromHead(at("vm.vmdk"), new TextEncoder().encode('createType="monolithicFlat"\nRW 2048 FLAT "vm-flat.vmdk" 0\n'));
    const sources: ComposeSources = {
      // Between planning and download the delta was swapped for one pointing outside the VM's directory.
      download: async (file, dest) => {
        await writeFile(dest, file.path.endsWith("vm-000001.vmdk") ? checked.replace('"vm.vmdk"', '"/etc/shadow"') : "");
        return { bytes: 0, sha256: "sha256:0" };
      },
      openBase: () => Promise.reject(new Error("the base must not be opened")),
    };
    await assert.rejects(openComposedDisk(sources, [delta, base], { download: [delta], remoteBase: base }, 1 << 20, scratch), (err: Error & { code?: string }) => {
      assert.match(err.message, /\[ds\] vm\/vm-000001\.vmdk changed while it was read/);
      return true;
    });
    assert.deepEqual(await readdir(scratch), [], "nothing is left in the scratch directory");
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});

test("a composed disk's allocated areas: the composed file's data in its local ranges, every base range, no zero range", async () => {
  const MiB = 1 << 20;
  const dir = await mkdtemp(join(tmpdir(), "landfall-composed-areas-"));
  const local = join(dir, "composed.raw");
  const f = await open(local, "w");
  for (const at of [MiB, 5 * MiB, 7 * MiB]) await f.write(Buffer.alloc(4096, 1), 0, 4096, at);
  await f.truncate(8 * MiB);
  await f.close();
  const segments = [
    { start: 0, end: 2 * MiB, source: "local" as const },
    { start: 2 * MiB, end: 4 * MiB, source: "zero" as const },
    { start: 4 * MiB, end: 6 * MiB, source: "base" as const },
    { start: 6 * MiB, end: 8 * MiB, source: "local" as const },
  ];
  const base = { sizeBytes: 8 * MiB, readRange: async function* () {}, close: async () => {} };
  const reader = new ComposedDiskReader(local, segments, base, 8 * MiB, dir, { transport: "datastore", chain: [] });
  try {
    assert.deepEqual(await reader.allocatedAreas(), [
      { start: MiB, length: 4096 },
      { start: 4 * MiB, length: 2 * MiB }, // the base's range whole; the composed file's data at 5 MiB is not what it serves there
      { start: 7 * MiB, length: 4096 },
    ]);
  } finally {
    await reader.close();
  }
});
