import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError, reasonOfCode, STATUS_REASONS } from "./errors.ts";

test("every reason maps to its code and back; 409 reads as Conflict; unknown codes have no reason", () => {
  for (const reason of STATUS_REASONS) {
    const code = new ApiError(reason, "m").code;
    assert.equal(reasonOfCode(code), reason === "AlreadyExists" ? "Conflict" : reason === "Expired" ? "Gone" : reason);
  }
  assert.equal(reasonOfCode(409), "Conflict");
  assert.equal(reasonOfCode(418), undefined);
});
