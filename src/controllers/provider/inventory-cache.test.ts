import assert from "node:assert/strict";
import { test } from "node:test";
import type { Provider } from "../../api/provider.ts";
import type { ProviderInventory } from "./inventory.ts";
import { InventoryCache, inventoryReusable } from "./inventory-cache.ts";

const provider = (generation: number): Provider => ({ apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name: "vc", namespace: "ns", uid: "u1", generation }, spec: { type: "vsphere", endpoint: "https://vc/sdk" } }) as Provider;
const inventory = (n: number): ProviderInventory => ({ kind: "TargetVMList", items: [{ name: `vm-${n}`, uuid: String(n), state: "running", cpus: 1, memoryMiB: 1, firmware: "bios", disks: [], nics: [], labels: {} }] });

function counting() {
  let reads = 0;
  let fail = false;
  const read = async () => {
    reads++;
    if (fail) throw new Error("vCenter unreachable");
    return inventory(reads);
  };
  return {
    read,
    get reads() {
      return reads;
    },
    failNext: (v: boolean) => {
      fail = v;
    },
  };
}

test("inventoryReusable: same version, young enough (or a later page), no refresh", () => {
  assert.equal(inventoryReusable({ version: "u/1", readAt: 0 }, "u/1", 999, 1000, {}), true);
  assert.equal(inventoryReusable({ version: "u/1", readAt: 0 }, "u/1", 1000, 1000, {}), false, "expired");
  assert.equal(inventoryReusable({ version: "u/1", readAt: 0 }, "u/1", 60_000, 1000, { continuing: true }), true, "a later page continues its read");
  assert.equal(inventoryReusable({ version: "u/1", readAt: 0 }, "u/2", 1, 1000, { continuing: true }), false, "Provider changed");
  assert.equal(inventoryReusable({ version: "u/1", readAt: 0 }, "u/1", 1, 1000, { refresh: true }), false, "refresh asked");
  assert.equal(inventoryReusable(undefined, "u/1", 1, 1000, { continuing: true }), false);
});

test("pages reuse one read until it expires, the Provider changes or a refresh is asked", async () => {
  let now = 0;
  const src = counting();
  const cache = new InventoryCache(src.read, { maxAgeMs: 1000, now: () => now });
  assert.equal((await cache.get(provider(1))).inventory.items[0].name, "vm-1");
  now = 500;
  assert.equal((await cache.get(provider(1))).readAt, 0);
  assert.equal(src.reads, 1);
  now = 1000;
  assert.equal((await cache.get(provider(1), { continuing: true })).readAt, 0, "a later page keeps the old read");
  assert.equal(src.reads, 1);
  assert.equal((await cache.get(provider(1))).inventory.items[0].name, "vm-2", "expired");
  assert.equal((await cache.get(provider(2))).inventory.items[0].name, "vm-3", "new generation");
  assert.equal((await cache.get(provider(2), { refresh: true })).inventory.items[0].name, "vm-4", "refresh");
  assert.equal(src.reads, 4);
});

test("concurrent readers share one read, and a failed read is not kept", async () => {
  const src = counting();
  const cache = new InventoryCache(src.read, { maxAgeMs: 1000, now: () => 0 });
  const [a, b] = await Promise.all([cache.get(provider(1)), cache.get(provider(1))]);
  assert.equal(a, b);
  assert.equal(src.reads, 1);
  src.failNext(true);
  await assert.rejects(cache.get(provider(1), { refresh: true }), /unreachable/);
  src.failNext(false);
  assert.equal((await cache.get(provider(1))).inventory.items[0].name, "vm-3", "read again after the failure");
});
