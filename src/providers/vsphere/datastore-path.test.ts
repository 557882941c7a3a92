import assert from "node:assert/strict";
import { test } from "node:test";
import { datastoreFileUrl, parseDatastorePath, siblingPath } from "./datastore-path.ts";
import { sessionCookieFrom } from "./soap-client.ts";

test("datastore paths parse, resolve siblings and become file API URLs", () => {
  const p = parseDatastorePath("[Local DS 0] web 01/web01.vmdk");
  assert.deepEqual(p, { datastore: "Local DS 0", path: "web 01/web01.vmdk" });
  assert.deepEqual(siblingPath(p, "web01-flat.vmdk"), { datastore: "Local DS 0", path: "web 01/web01-flat.vmdk" });
  assert.throws(() => siblingPath(p, "/vmfs/volumes/x/flat.vmdk"), /absolute host path/);
  assert.throws(() => siblingPath(p, "../other/other.vmdk"), /leaves the VM's directory/);
  assert.throws(() => siblingPath(p, "sub/../../x.vmdk"), /leaves the VM's directory/);
  assert.throws(() => siblingPath(p, "C:\\vms\\base.vmdk"), /absolute host path/);
  assert.deepEqual(siblingPath(p, "snap/web01-000001.vmdk"), { datastore: "Local DS 0", path: "web 01/snap/web01-000001.vmdk" });
  assert.equal(
    datastoreFileUrl("https://vc:8443", "DC 0", p).toString(),
    "https://vc:8443/folder/web%2001/web01.vmdk?dcPath=DC+0&dsName=Local+DS+0",
  );
  assert.throws(() => parseDatastorePath("web01.vmdk"), /not a datastore path/);
});

test("the session cookie is read from Set-Cookie headers", () => {
  assert.equal(sessionCookieFrom('vmware_soap_session="52a1"; Path=/; HttpOnly; Secure;'), 'vmware_soap_session="52a1"');
  assert.equal(sessionCookieFrom(["other=1", "vmware_soap_session=abc; HttpOnly"]), "vmware_soap_session=abc");
  assert.equal(sessionCookieFrom(undefined), undefined);
});
