import assert from "node:assert/strict";
import { test } from "node:test";
import { segmentsFromMap } from "./chain-disk-reader.ts";
import { deviceUrlSuffix } from "./nfc-export.ts";

test("segmentsFromMap sends base-depth ranges to the flat base, delta ranges to the composed file, holes to zeros", () => {
  const map = [
    { start: 0, length: 65536, depth: 0, present: true },
    { start: 65536, length: 65536, depth: 1, present: true },
    { start: 131072, length: 131072, depth: 2, present: true },
    { start: 262144, length: 4096, depth: 2, present: true },
    { start: 266240, length: 4096, depth: 1, present: false },
  ];
  assert.deepEqual(segmentsFromMap(map, 2), [
    { start: 0, end: 131072, source: "local" },
    { start: 131072, end: 266240, source: "base" },
    { start: 266240, end: 270336, source: "zero" },
  ]);
  // Without a remote base everything present is in the composed file.
  assert.deepEqual(segmentsFromMap(map, undefined).map((s) => s.source), ["local", "zero"]);
});

test("deviceUrlSuffix names a disk as ESXi's deviceUrl key does: controller type, bus and unit", () => {
  const devices = [
    { "@_type": "ParaVirtualSCSIController", key: "1000", busNumber: "0" },
    { "@_type": "VirtualLsiLogicController", key: "1001", busNumber: "1" },
    { "@_type": "VirtualDisk", key: "2000", controllerKey: "1000", unitNumber: "0" },
    { "@_type": "VirtualDisk", key: "2001", controllerKey: "1001", unitNumber: "3" },
  ];
  assert.equal(deviceUrlSuffix(devices, 2000), "ParaVirtualSCSIController0:0");
  assert.equal(deviceUrlSuffix(devices, 2001), "VirtualLsiLogicController1:3");
  assert.equal(deviceUrlSuffix(devices, 9), undefined);
});
