import assert from "node:assert/strict";
import { test } from "node:test";
import { judgePeer, parseThumbprint } from "./tls-trust.ts";

const SHA256 = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, "0").toUpperCase()).join(":");
const SHA1 = Array.from({ length: 20 }, (_, i) => (i + 100).toString(16).toUpperCase()).join(":");

test("parseThumbprint accepts SHA-256 and SHA-1 in any case and separator", () => {
  assert.deepEqual(parseThumbprint(SHA256.toLowerCase()), { algorithm: "sha256", value: SHA256 });
  assert.deepEqual(parseThumbprint(SHA1.replaceAll(":", "")), { algorithm: "sha1", value: SHA1 });
  assert.throws(() => parseThumbprint("AB:CD"), /2 bytes; expected a SHA-256/);
  assert.throws(() => parseThumbprint("zz:zz"), /not hexadecimal/);
});

const peer = { fingerprint256: SHA256, fingerprint: SHA1, authorized: false, authorizationError: "DEPTH_ZERO_SELF_SIGNED_CERT" };

test("a matching pin trusts a self-signed peer; a mismatch names both thumbprints", () => {
  assert.equal(judgePeer({ thumbprint: SHA256.toLowerCase() }, peer), undefined);
  assert.equal(judgePeer({ thumbprint: SHA1 }, peer), undefined);
  const wrong = SHA256.replace("00", "FF");
  const err = judgePeer({ thumbprint: wrong }, peer);
  assert.equal(err?.code, "ThumbprintMismatch");
  assert.ok(err?.message.includes(wrong) && err.message.includes(SHA256));
});

test("without a pin: verified peers pass, unverified fail unless insecureSkipVerify", () => {
  assert.equal(judgePeer({}, { ...peer, authorized: true }), undefined);
  const err = judgePeer({}, peer);
  assert.equal(err?.code, "TLSVerificationFailed");
  assert.ok(err?.message.includes("DEPTH_ZERO_SELF_SIGNED_CERT") && err.message.includes(SHA256));
  assert.equal(judgePeer({ insecureSkipVerify: true }, peer), undefined);
});
