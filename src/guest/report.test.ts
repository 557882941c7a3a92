import assert from "node:assert/strict";
import { test } from "node:test";
import { guestReport, unknownGuest } from "./report.ts";

test("a conversion whose log showed no inspection reports os unknown, never a made-up identity", () => {
  const report = guestReport({ inspection: {}, actions: [], warnings: [], errors: [] });
  assert.equal(report.os, "unknown");
  assert.equal(report.version, undefined);
});

test("version: major alone when the minor is 0", () => {
  assert.equal(guestReport({ inspection: { type: "linux", majorVersion: "9", minorVersion: "0" }, actions: [], warnings: [], errors: [] }).version, "9");
});

test("unknownGuest carries its reason and no actions", () => {
  assert.deepEqual(unknownGuest("why"), { os: "unknown", actions: [], warnings: [], message: "why" });
});
