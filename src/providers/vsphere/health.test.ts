import assert from "node:assert/strict";
import { test } from "node:test";
import { SourceProviderError } from "./errors.ts";
import { classifyFailure, redact } from "./health.ts";

const ep = "https://vc.example/sdk";

test("provider errors keep their reason", () => {
  for (const code of ["InvalidCredentials", "TLSVerificationFailed", "ThumbprintMismatch"] as const) {
    assert.equal(classifyFailure(new SourceProviderError(code, "x"), ep, 10_000).reason, code);
  }
});

test("network failures, also wrapped in causes, are Unreachable", () => {
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
  assert.equal(classifyFailure(refused, ep, 10_000).reason, "Unreachable");
  assert.equal(classifyFailure(new TypeError("fetch failed", { cause: refused }), ep, 10_000).reason, "Unreachable");
  const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
  assert.match(classifyFailure(timeout, ep, 10_000).message, /did not answer within 10 s/);
});

test("Node certificate errors are TLSVerificationFailed; anything else ProviderError", () => {
  const cert = Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
  assert.equal(classifyFailure(cert, ep, 1000).reason, "TLSVerificationFailed");
  assert.equal(classifyFailure(new Error("boom"), ep, 1000).reason, "ProviderError");
});

test("redact removes every occurrence of each secret", () => {
  assert.equal(redact("a hunter2 b hunter2", ["hunter2", undefined, ""]), "a *** b ***");
});
