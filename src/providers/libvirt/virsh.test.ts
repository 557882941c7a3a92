import assert from "node:assert/strict";
import { test } from "node:test";
import { LibvirtError } from "./errors.ts";
import { ToolRunner } from "../../disk/run-tool.ts";
import { isNotFound, parseDomainList, parsePoolInfo, poolTargetPath, splitDomainDocuments, Virsh } from "./virsh.ts";

test("parsePoolInfo reads virsh pool-info --bytes", () => {
  const info = parsePoolInfo(
    "Name:           lf\nUUID:           0e0e\nState:          running\nPersistent:     yes\nAutostart:      no\n" +
      "Capacity:       52521566208\nAllocation:     1000\nAvailable:      52521565208\n",
  );
  assert.deepEqual(info, {
    name: "lf",
    state: "running",
    autostart: false,
    capacityBytes: 52521566208,
    availableBytes: 52521565208,
  });
});

test("poolTargetPath finds a dir pool's directory", () => {
  const xml = "<pool type='dir'><name>lf</name><source></source><target>\n <path>/var/lib/lf</path>\n</target></pool>";
  assert.equal(poolTargetPath(xml), "/var/lib/lf");
  assert.throws(() => poolTargetPath("<pool type='rbd'><name>x</name></pool>"), /no <target><path>/);
});

test("isNotFound recognises libvirt's missing-domain and missing-pool errors only", () => {
  const err = (stderr: string) => new LibvirtError("CommandFailed", "x", { stderr });
  assert.equal(isNotFound(err("error: failed to get domain 'web01'")), true);
  assert.equal(isNotFound(err("error: Domain not found: no domain with matching uuid")), true);
  assert.equal(isNotFound(err("error: failed to get pool 'lf'\nerror: Storage pool not found")), true);
  assert.equal(isNotFound(err("error: Failed to start domain 'web01'")), false);
  assert.equal(isNotFound(new Error("failed to get domain")), false);
});

test("virsh failures become LibvirtErrors with virsh's stderr, so isNotFound can classify them", async () => {
  const virsh = new Virsh("test:///default", new ToolRunner(1));
  await assert.rejects(virsh.run(["dominfo", "landfall-no-such-domain"]), (error: unknown) => {
    assert.ok(error instanceof LibvirtError);
    assert.equal(error.code, "CommandFailed");
    assert.equal(isNotFound(error), true, error.stderr);
    return true;
  });
});

test("parseDomainList reads virsh list --all --uuid --name, names with spaces included", () => {
  const out = "74C6A270-d62d-49f5-9303-8606bd925714 web 01\n280172fd-0223-4fe0-8437-955ab8f76177 db\n\n";
  assert.deepEqual(parseDomainList(out), [
    { uuid: "74c6a270-d62d-49f5-9303-8606bd925714", name: "web 01" },
    { uuid: "280172fd-0223-4fe0-8437-955ab8f76177", name: "db" },
  ]);
});

test("splitDomainDocuments cuts concatenated dumpxml outputs into their <domain> documents", () => {
  const a = "<domain type='kvm'>\n  <name>a</name>\n  <uuid>00000000-0000-4000-8000-00000000000a</uuid>\n</domain>";
  const b = "<domain type='kvm'>\n  <name>b</name>\n  <description>x &lt;/domain&gt; y</description>\n</domain>";
  assert.deepEqual(splitDomainDocuments(`${a}\n\n${b}\n`), [a, b]);
  assert.deepEqual(splitDomainDocuments(""), []);
});
