import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertRawReadable,
  descriptorCapacityBytes,
  looksLikeDescriptor,
  parseVmdkDescriptor,
  sliceExtents,
  type VmdkExtent,
} from "./vmdk-descriptor.ts";

const flat = `# Disk DescriptorFile
version=1
CID=fffffffe
parentCID=ffffffff
createType="monolithicFlat"

# Extent description
RW 8192 FLAT "web01-flat.vmdk" 0

ddb.adapterType = "lsilogic"
`;

test("parses a monolithicFlat descriptor and stops at the NUL padding", () => {
  const padded = `${flat}\0\0\0RW 999 SPARSE "garbage.vmdk"\0`;
  const d = parseVmdkDescriptor(padded);
  assert.equal(d.createType, "monolithicFlat");
  assert.deepEqual(d.extents, [{ access: "RW", sectors: 8192, type: "FLAT", file: "web01-flat.vmdk", fileOffsetBytes: 0 }]);
  assert.equal(descriptorCapacityBytes(d), 8192 * 512);
  assertRawReadable(d, "[ds] web01/web01.vmdk");
});

test("sparse extents, delta disks and binary headers are not raw-readable", () => {
  const sparse = parseVmdkDescriptor('createType="twoGbMaxExtentSparse"\nRW 4192256 SPARSE "a-s001.vmdk"\n');
  assert.throws(() => assertRawReadable(sparse, "[ds] a/a.vmdk"), (e: Error & { code?: string }) => e.code === "NotSupported" && /a-s001\.vmdk/.test(e.message));
  const delta = parseVmdkDescriptor(`${flat.replace("parentCID=ffffffff", "parentCID=1a2b3c4d")}`);
  assert.throws(() => assertRawReadable(delta, "[ds] a/a-000001.vmdk"), /delta disk/);
  assert.equal(looksLikeDescriptor(new TextEncoder().encode("KDMV\x01\0\0\0")), false);
  assert.equal(looksLikeDescriptor(new TextEncoder().encode("# Disk")), true);
});

test("sliceExtents maps guest ranges across extents, honouring file offsets", () => {
  const extents: VmdkExtent[] = [
    { access: "RW", sectors: 2, type: "FLAT", file: "a", fileOffsetBytes: 0 },
    { access: "RW", sectors: 1, type: "ZERO", fileOffsetBytes: 0 },
    { access: "RW", sectors: 4, type: "VMFS", file: "b", fileOffsetBytes: 1024 },
  ];
  assert.deepEqual(
    sliceExtents(extents, 1000, 1000).map((s) => [s.extent.type, s.fileOffset, s.length]),
    [
      ["FLAT", 1000, 24],
      ["ZERO", 0, 512],
      ["VMFS", 1024, 464],
    ],
  );
  assert.deepEqual(sliceExtents(extents, 0, 1).map((s) => s.length), [1]);
  assert.deepEqual(sliceExtents(extents, 3583, 1).map((s) => [s.extent.file, s.fileOffset]), [["b", 1024 + 2047]]);
});
