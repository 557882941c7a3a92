import assert from "node:assert/strict";
import { test } from "node:test";
import type { SourceVM, TargetVM } from "../../providers/contract.ts";
import { inKeyOrder, inventoryPage } from "./inventory-page.ts";

const source = (name: string, id: string, powerState: SourceVM["powerState"], guestOS = "debian12_64Guest"): SourceVM => ({ name, id, uuid: id, powerState, guestOS, cpus: 1, memoryMiB: 512, firmware: "bios", disks: [], nics: [] });
const target = (name: string, uuid: string, state: TargetVM["state"]): TargetVM => ({ name, uuid, state, cpus: 1, memoryMiB: 512, firmware: "bios", disks: [], nics: [], labels: {} });

test("source VMs page in (name, id) order, two VMs of one name included, filtered by search and power", () => {
  const sorted = inKeyOrder({ kind: "SourceVMList", items: [source("web", "vm-9", "poweredOn"), source("db", "vm-2", "poweredOff", "windows2019srv_64Guest"), source("web", "vm-10", "poweredOff"), source("Web-2", "vm-3", "poweredOn")] });
  const first = inventoryPage(sorted, { search: "", power: "" }, 2, undefined);
  assert.deepEqual(
    first.items.map((vm) => vm.name),
    ["Web-2", "db"],
  );
  assert.equal(first.remainingItemCount, 2);
  const second = inventoryPage(sorted, { search: "", power: "" }, 2, first.continue);
  assert.deepEqual(
    second.items.map((vm) => (vm as SourceVM).id),
    ["vm-10", "vm-9"],
  );
  assert.equal(second.continue, undefined);
  assert.deepEqual(
    inventoryPage(sorted, { search: "WEB", power: "poweredOn" }, 10, undefined).items.map((vm) => (vm as SourceVM).id),
    ["vm-3", "vm-9"],
  );
  assert.deepEqual(
    inventoryPage(sorted, { search: "windows", power: "" }, 10, undefined).items.map((vm) => vm.name),
    ["db"],
    "search matches the guest OS",
  );
});

test("target VMs page and filter by name and state", () => {
  const sorted = inKeyOrder({ kind: "TargetVMList", items: [target("b", "2", "running"), target("a", "1", "shutoff")] });
  const page = inventoryPage(sorted, { search: "", power: "running" }, undefined, undefined);
  assert.equal(page.kind, "TargetVMList");
  assert.deepEqual(
    page.items.map((vm) => vm.name),
    ["b"],
  );
});
