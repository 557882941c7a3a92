import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { embeddedDescriptorRange, sniffFormat, vmdkReferences } from "./image-header.ts";

const withMagic = (magic: string | number[], size = 512) => {
  const buf = Buffer.alloc(size);
  (typeof magic === "string" ? Buffer.from(magic, "latin1") : Buffer.from(magic)).copy(buf);
  return buf;
};

describe("sniffFormat", () => {
  it("recognises the formats whose headers can name other files, and calls the rest raw", () => {
    assert.equal(sniffFormat(withMagic([0x51, 0x46, 0x49, 0xfb])), "qcow2");
    assert.equal(sniffFormat(withMagic("KDMV")), "vmdk");
    assert.equal(sniffFormat(withMagic("COWD")), "vmdk");
    assert.equal(sniffFormat(withMagic("# Disk DescriptorFile\nversion=1\n")), "vmdk");
    assert.equal(sniffFormat(withMagic("QED\0")), "qed");
    assert.equal(sniffFormat(withMagic("vhdxfile")), "vhdx");
    assert.equal(sniffFormat(withMagic("conectix")), "vpc");
    const vdi = Buffer.alloc(512);
    vdi.writeUInt32LE(0xbeda107f, 64);
    assert.equal(sniffFormat(vdi), "vdi");
    assert.equal(sniffFormat(Buffer.alloc(512)), "raw");
    assert.equal(sniffFormat(Buffer.from("QF")), "raw", "short files are raw, not an exception");
  });
});

describe("VMDK headers", () => {
  it("lists every extent of a descriptor, NUL padding and CRLF included", () => {
    const text = '# Disk DescriptorFile\r\ncreateType="twoGbMaxExtentFlat"\r\nRW 4192256 FLAT "a-f001.vmdk" 0\r\nRDONLY 100 VMFSSPARSE "/abs/b-delta.vmdk"\0\0\0\nNOACCESS 8 ZERO "z"\n';
    assert.deepEqual(vmdkReferences(Buffer.from(text, "latin1")).extents, ["a-f001.vmdk", "/abs/b-delta.vmdk", "z"]);
    assert.deepEqual(vmdkReferences(Buffer.from('parentFileNameHint="p.vmdk"\n')).extents, []);
  });

  it("finds a sparse VMDK's embedded descriptor from its header", () => {
    const head = withMagic("KDMV");
    head.writeBigUInt64LE(1n, 28);
    head.writeBigUInt64LE(20n, 36);
    assert.deepEqual(embeddedDescriptorRange(head), { offset: 512, length: 20 * 512 });
    assert.equal(embeddedDescriptorRange(withMagic("COWD")), undefined);
    assert.equal(embeddedDescriptorRange(withMagic("KDMV")), undefined, "no descriptor recorded");
  });
});
