import assert from "node:assert/strict";
import { test } from "node:test";
import { LibvirtError } from "./errors.ts";
import { createLibvirtTarget } from "./target.ts";

test("the libvirt target refuses a URI outside the allow-list before running anything", () => {
  for (const uri of ["qemu+ext:///system?command=/usr/bin/id", "qemu+ssh://h/system?socket=/tmp/s", "qemu+ssh://h/system?no_verify=1;command=/x"]) {
    assert.throws(
      () => createLibvirtTarget({ uri, storagePool: "p", storagePoolPath: "/var/lib/landfall/images" }),
      (err: unknown) => err instanceof LibvirtError && err.code === "InvalidArgument" && /spec\.uri .*not allowed|scheme/.test(err.message),
      uri,
    );
  }
  assert.ok(createLibvirtTarget({ uri: "test:///default", storagePool: "p", storagePoolPath: "/var/lib/landfall/images" }));
});
