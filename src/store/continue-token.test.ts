import assert from "node:assert/strict";
import { test } from "node:test";
import { isApiError } from "../api/errors.ts";
import { decodeContinue, encodeContinue } from "./continue-token.ts";

test("a continue token round-trips the last key", () => {
  const pos = { namespace: "team-a", name: "web01" };
  assert.deepEqual(decodeContinue(encodeContinue(pos)), pos);
});

test("a foreign or damaged token is a BadRequest", () => {
  for (const bad of ["", "xyz", Buffer.from('{"v":2,"ns":"a","n":"b"}').toString("base64url")]) {
    assert.throws(() => decodeContinue(bad), (err: unknown) => isApiError(err, "BadRequest"), bad);
  }
});
