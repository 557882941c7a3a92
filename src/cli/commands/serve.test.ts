import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../args.ts";
import { parseMaxTransfers } from "./serve.ts";

test("--max-transfers takes a whole number of at least 1; anything else is a usage error naming flag and value", () => {
  assert.equal(parseMaxTransfers("1"), 1);
  assert.equal(parseMaxTransfers("16"), 16);
  for (const bad of ["0", "-1", "2.5", "two", "", " 3"]) {
    assert.throws(
      () => parseMaxTransfers(bad),
      (e) => e instanceof UsageError && e.message.startsWith(`--max-transfers ${JSON.stringify(bad)} is not a whole number of at least 1`),
    );
  }
});
