import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diskFormats, diskSummary, diskTransports, type InventoryList, inventoryTable } from "./inventory.ts";

const GiB = 2 ** 30;

describe("inventory tables", () => {
  it("summarises source VMs: power, size, disks (count and total) and guest", () => {
    const list: InventoryList = {
      kind: "SourceVMList",
      items: [
        {
          name: "DC0_H0_VM0",
          id: "vm-57",
          uuid: "42011b2c-0000-0000-0000-000000000001",
          powerState: "poweredOff",
          guestOS: "otherGuest",
          cpus: 1,
          memoryMiB: 32,
          firmware: "bios",
          disks: [{ capacityBytes: 10 * GiB }, { capacityBytes: 2 * GiB }],
          nics: [{ network: "VM Network", macAddress: "00:50:56:00:00:01" }],
        },
      ],
    };
    const [header, row] = inventoryTable(list).trimEnd().split("\n");
    assert.deepEqual(header.split(/\s{2,}/), ["NAME", "ID", "POWER", "CPUS", "MEMORY", "DISKS", "NICS", "GUEST", "SNAPSHOTS", "DISK FORMATS", "READ BY"]);
    assert.deepEqual(row.split(/\s{2,}/), ["DC0_H0_VM0", "vm-57", "poweredOff", "1", "32Mi", "2 (12.0GiB)", "1", "otherGuest", "-", "-", "-"]);
    assert.match(inventoryTable(list, true).split("\n")[0], /READ BY\s+UUID\s+FIRMWARE$/);
    assert.equal(diskSummary(undefined), "0 (0B)");
  });

  it("shows per VM its snapshots, each disk's base format and deltas, and which transports read each disk", () => {
    const disks = [
      {
        capacityBytes: GiB,
        chain: [
          { file: "[ds] db/db-000002.vmdk", format: "redoLog" },
          { file: "[ds] db/db-000001.vmdk", format: "redoLog" },
          { file: "[ds] db/db.vmdk", format: "flat" },
        ],
        readableBy: ["datastore", "nfc"],
      },
      { capacityBytes: GiB, chain: [{ file: "[ds] db/lun.vmdk", format: "rdm (physical)" }], readableBy: [] },
    ];
    assert.equal(diskFormats(disks), "flat+2 redoLog, rdm (physical)");
    assert.equal(diskTransports(disks), "datastore+nfc, none");
    const list: InventoryList = { kind: "SourceVMList", items: [{ name: "db01", id: "vm-9", guestOS: "rhel9_64Guest", snapshotCount: 2, disks }] };
    const row = inventoryTable(list).trimEnd().split("\n")[1].split(/\s{2,}/);
    assert.deepEqual(row.slice(7), ["rhel9_64Guest", "2", "flat+2 redoLog, rdm (physical)", "datastore+nfc, none"]);
  });

  it("marks target domains landfall manages by their owner-uid label", () => {
    const list: InventoryList = {
      kind: "TargetVMList",
      items: [
        { uuid: "u-1", name: "web01", state: "running", cpus: 2, memoryMiB: 2048, disks: [{ path: "/p/a.qcow2" }], labels: { "landfall.dev/owner-uid": "x", "landfall.dev/namespace": "prod", "landfall.dev/name": "web01" } },
        { uuid: "u-2", name: "legacy", state: "shutoff", cpus: 1, memoryMiB: 512, disks: [], labels: {} },
      ],
    };
    const lines = inventoryTable(list).trimEnd().split("\n").map((l) => l.split(/\s{2,}/));
    assert.deepEqual(lines, [
      ["NAME", "UUID", "STATE", "CPUS", "MEMORY", "DISKS", "MANAGED"],
      ["web01", "u-1", "running", "2", "2048Mi", "1", "true"],
      ["legacy", "u-2", "shutoff", "1", "512Mi", "0", "false"],
    ]);
    assert.match(inventoryTable(list, true), /web01 .* prod\/web01\n/);
  });
});
