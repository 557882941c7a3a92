import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubeObject } from "../api/meta.ts";
import { EventRecorder } from "./events.ts";
import { createLogger } from "./logger.ts";

const obj = (name: string): KubeObject => ({ apiVersion: "landfall.dev/v1beta1", kind: "VMMigration", metadata: { name, namespace: "ns", uid: `uid-${name}` } });

describe("EventRecorder", () => {
  it("logs each event as a structured line and keeps it for the object", () => {
    const lines: string[] = [];
    const rec = new EventRecorder({ logger: createLogger({ level: "info", write: (l) => lines.push(l) }), now: () => new Date("2026-01-01T00:00:00Z") });
    rec.record(obj("m1"), "Warning", "ChecksumMismatch", "disk-0 target sha256 differs");
    const line = JSON.parse(lines[0]);
    assert.equal(line.level, "warn");
    assert.equal(line.msg, "disk-0 target sha256 differs");
    assert.deepEqual([line.event, line.reason, line.kind, line.namespace, line.name, line.uid], ["Warning", "ChecksumMismatch", "VMMigration", "ns", "m1", "uid-m1"]);
    assert.deepEqual(rec.eventsFor("VMMigration", "ns", "m1"), [
      { type: "Warning", reason: "ChecksumMismatch", message: "disk-0 target sha256 differs", count: 1, firstTimestamp: "2026-01-01T00:00:00.000Z", lastTimestamp: "2026-01-01T00:00:00.000Z" },
    ]);
    assert.deepEqual(rec.eventsFor("VMMigration", "ns", "other"), []);
  });

  it("folds repeats into a count and bounds the ring per object and the number of objects", () => {
    let t = 0;
    const rec = new EventRecorder({ perObject: 3, maxObjects: 2, now: () => new Date(t++ * 1000) });
    rec.record(obj("a"), "Normal", "Polled", "same");
    rec.record(obj("a"), "Normal", "Polled", "same");
    const folded = rec.eventsFor("VMMigration", "ns", "a");
    assert.equal(folded.length, 1);
    assert.equal(folded[0].count, 2);
    assert.notEqual(folded[0].firstTimestamp, folded[0].lastTimestamp);
    for (const r of ["P1", "P2", "P3", "P4"]) rec.record(obj("a"), "Normal", r, r);
    assert.deepEqual(rec.eventsFor("VMMigration", "ns", "a").map((e) => e.reason), ["P2", "P3", "P4"], "oldest dropped");
    rec.record(obj("b"), "Normal", "X", "x");
    rec.record(obj("a"), "Normal", "P5", "touch a");
    rec.record(obj("c"), "Normal", "X", "x");
    assert.deepEqual(rec.eventsFor("VMMigration", "ns", "b"), [], "least recently recorded object dropped");
    assert.equal(rec.eventsFor("VMMigration", "ns", "a").length, 3);
    assert.equal(rec.eventsFor("VMMigration", "ns", "c").length, 1);
  });

  it("names the recording controller through withSource", () => {
    const rec = new EventRecorder();
    rec.withSource("vmmigration").record(obj("m"), "Normal", "Started", "copying");
    assert.equal(rec.eventsFor("VMMigration", "ns", "m")[0].source, "vmmigration");
  });
});
