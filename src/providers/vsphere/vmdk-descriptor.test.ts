import assert from "node:assert/strict";
import { test } from "node:test";
import { descriptorCapacityBytes, embeddedDescriptor, parseVmdkDescriptor, sliceExtents, type VmdkExtent, vmdkFileKind } from "./vmdk-descriptor.ts";

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
  assert.equal(d.cid, "fffffffe");
  assert.equal(d.parentFileNameHint, undefined);
  assert.deepEqual(d.extents, [{ access: "RW", sectors: 8192, type: "FLAT", file: "web01-flat.vmdk", fileOffsetBytes: 0 }]);
  assert.equal(descriptorCapacityBytes(d), 8192 * 512);
});

test("a delta names its parent; binary headers are told apart; an embedded descriptor is found through the KDMV header", () => {
  const delta = parseVmdkDescriptor('CID=1a2b3c4d\nparentCID=fffffffe\ncreateType="vmfsSparse"\nparentFileNameHint="web01.vmdk"\nRW 8192 VMFSSPARSE "web01-000001-delta.vmdk"\n');
  assert.equal(delta.parentCID, "fffffffe");
  assert.equal(delta.parentFileNameHint, "web01.vmdk");
  assert.equal(delta.extents[0].type, "VMFSSPARSE");
  assert.equal(vmdkFileKind(new TextEncoder().encode("KDMV\x01\0\0\0")), "hostedSparse");
  assert.equal(vmdkFileKind(new TextEncoder().encode("COWD\x01\0\0\0")), "cowd");
  assert.equal(vmdkFileKind(new TextEncoder().encode("# Disk")), "descriptor");
  const head = new Uint8Array(4096);
  head.set(new TextEncoder().encode("KDMV"));
  const view = new DataView(head.buffer);
  view.setBigUint64(28, 2n, true); // descriptor at sector 2
  view.setBigUint64(36, 1n, true); // one sector long
  head.set(new TextEncoder().encode('createType="monolithicSparse"\n'), 1024);
  assert.match(embeddedDescriptor(head) ?? "", /^createType="monolithicSparse"/);
  view.setBigUint64(28, 100n, true); // beyond the bytes read
  assert.equal(embeddedDescriptor(head), undefined);
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
