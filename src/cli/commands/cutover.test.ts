import assert from "node:assert/strict";
import { test } from "node:test";
import { cutoverTime } from "./cutover.ts";

const now = new Date("2026-03-01T10:00:00.123Z");

test("cutover defaults to now, in whole seconds", () => {
  assert.equal(cutoverTime(undefined, now), "2026-03-01T10:00:00Z");
  assert.equal(cutoverTime("now", now), "2026-03-01T10:00:00Z");
});

test("--at takes an RFC 3339 time and normalises it to UTC", () => {
  assert.equal(cutoverTime("2026-03-01T22:00:00+02:00", now), "2026-03-01T20:00:00.000Z");
});

test("--at refuses what is not RFC 3339, saying what to write", () => {
  assert.throws(() => cutoverTime("tomorrow", now), /--at "tomorrow" is not an RFC 3339 time; write e.g. 2026-03-01T22:00:00Z/);
  assert.throws(() => cutoverTime("2026-03-01 22:00", now), /not an RFC 3339 time/);
});
