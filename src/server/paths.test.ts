import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { underApiPrefix } from "./paths.ts";

describe("underApiPrefix", () => {
  it("sees the API prefix through encodings, case, parameters, slashes and dot segments", () => {
    for (const p of [
      "/apis",
      "/api/v1",
      "/auth/whoami",
      "/%61pis/landfall.dev",
      "/%2561pis/x",
      "/APIS/x",
      "//apis",
      "/./apis/x",
      "/x/../apis",
      "/%2e%2e/apis",
      "/apis;x=1/y",
      "/\\apis",
      "/a%2F..%2Fauth/whoami",
      "/%C1%A1pis",
      "/%zz",
    ]) {
      assert.ok(underApiPrefix(p), p);
    }
  });
  it("leaves dashboard paths alone", () => {
    for (const p of ["/", "/virtualmachines", "/assets/x.js", "/apisx", "/healthz", "/apis-docs"]) assert.ok(!underApiPrefix(p), p);
  });
});
