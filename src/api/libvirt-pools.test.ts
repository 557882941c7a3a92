import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { libvirtPools, storageMapCauses } from "./libvirt-pools.ts";
import { ApiError, type StatusCause } from "./errors.ts";
import type { KubeObject } from "./meta.ts";
import { validateObject } from "./validate.ts";

/** The causes of the 422 validateObject throws; [] when it accepts the object. */
function causesOf(obj: KubeObject): StatusCause[] {
  try {
    validateObject(obj);
    return [];
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    assert.equal(err.reason, "Invalid");
    return err.details?.causes ?? [];
  }
}

const provider = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name: "kvm", namespace: "default" }, spec: { type: "libvirt", uri: "qemu:///system", ...spec } });

describe("libvirtPools", () => {
  it("is the default pool first (landfall's defaults when unset), then spec.storagePools", () => {
    assert.deepEqual(libvirtPools({}), [{ name: "landfall", path: "/var/lib/landfall/images" }]);
    assert.deepEqual(libvirtPools({ storagePool: "main", storagePoolPath: "/m", storagePools: [{ name: "fast", path: "/f" }] }), [
      { name: "main", path: "/m" },
      { name: "fast", path: "/f" },
    ]);
  });
});

describe("storageMapCauses", () => {
  it("names the entry, the pool and the pools allowed", () => {
    const spec = { type: "libvirt" as const, storagePools: [{ name: "fast", path: "/f" }] };
    assert.deepEqual(storageMapCauses("spec.target.storageMap", [{ source: "a", target: "fast" }, { source: "b", target: "landfall" }], spec, "kvm"), []);
    const [cause, ...rest] = storageMapCauses("spec.target.storageMap", [{ source: "a", target: "fast" }, { source: "b", target: "gold" }], spec, "kvm");
    assert.equal(rest.length, 0);
    assert.equal(cause.field, "spec.target.storageMap[1].target");
    assert.match(cause.message, /"gold" is not a storage pool of Provider "kvm"; use one of "landfall", "fast" or add it to the Provider's spec\.storagePools/);
  });
});

describe("Provider spec.storagePools validation", () => {
  it("accepts distinct pools", () => {
    assert.deepEqual(causesOf(provider({ storagePool: "main", storagePoolPath: "/m", storagePools: [{ name: "fast", path: "/f" }] })), []);
  });

  it("refuses a pool reusing the default pool's or another pool's name or directory, naming the field", () => {
    const causes = causesOf(
      provider({
        storagePool: "main",
        storagePoolPath: "/m",
        storagePools: [
          { name: "main", path: "/x" },
          { name: "fast", path: "/m/" },
          { name: "fast", path: "/y" },
        ],
      }),
    );
    const fields = causes.map((c) => c.field);
    assert.deepEqual(fields, ["spec.storagePools[0].name", "spec.storagePools[1].path", "spec.storagePools[2].name"]);
    assert.match(causes[0].message, /also the name of the default pool/);
    assert.match(causes[2].message, /also the name of spec\.storagePools\[1\]/);
  });

  it("refuses a relative pool directory through the schema", () => {
    const causes = causesOf(provider({ storagePools: [{ name: "fast", path: "fast" }] }));
    assert.ok(causes.some((c) => c.field?.includes("storagePools")), JSON.stringify(causes));
  });
});
