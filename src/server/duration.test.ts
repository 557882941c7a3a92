import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError } from "../api/errors.ts";
import { parseDurationSeconds } from "./duration.ts";

test("ttl and since read as seconds", () => {
  assert.equal(parseDurationSeconds("ttl", "720h"), 2_592_000);
  assert.equal(parseDurationSeconds("since", "1h30m"), 5400);
  assert.equal(parseDurationSeconds("since", "90s"), 90);
});

test("a value that is not a duration, or zero, is a 400 naming the field and the value", () => {
  for (const [field, value] of [
    ["ttl", "forever"],
    ["since", "0s"],
    ["since", "15"],
  ]) {
    assert.throws(
      () => parseDurationSeconds(field, value),
      (e) => e instanceof ApiError && e.code === 400 && e.message.startsWith(`${field} "${value}" is not a duration`) && e.details?.causes?.[0]?.field === field,
    );
  }
});
