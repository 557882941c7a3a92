import assert from "node:assert/strict";
import { test } from "node:test";
import { notADuration, parseDurationMs } from "./duration.ts";

test("reads what the server's ttl/since, the CLI's --timeout and the operator's lease flags are given", () => {
  assert.equal(parseDurationMs("90s"), 90_000);
  assert.equal(parseDurationMs("15m"), 900_000);
  assert.equal(parseDurationMs("720h"), 2_592_000_000);
  assert.equal(parseDurationMs("1h30m"), 5_400_000);
  assert.equal(parseDurationMs("1.5h"), 5_400_000);
  assert.equal(parseDurationMs("250ms"), 250);
  assert.equal(parseDurationMs("1m30s250ms"), 90_250);
  assert.equal(parseDurationMs("0s"), 0);
});

test("refuses anything that is not only <number><unit> runs", () => {
  for (const bad of ["", "42", "5 minutes", "5mx", "x5m", "m", "1d", "-5s", " 5s", "5s ", "1.s", "forever"]) {
    assert.equal(parseDurationMs(bad), undefined, JSON.stringify(bad));
  }
});

test("the refusal names the field or flag and the value", () => {
  assert.equal(notADuration("ttl", "forever"), 'ttl "forever" is not a duration; use e.g. 90s, 15m, 24h or 1h30m');
  assert.match(notADuration("--timeout", "5 minutes"), /^--timeout "5 minutes" is not a duration/);
});
