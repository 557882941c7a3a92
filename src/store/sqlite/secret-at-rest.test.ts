import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import type { KubeObject } from "../../api/meta.ts";
import { normalizeSecret, secretSealer } from "./secret-at-rest.ts";

const secret = (name: string, extra: Partial<KubeObject>): KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace: "default" },
  ...extra,
});

test("stringData is folded into base64 data and wins over data", () => {
  const out = normalizeSecret(secret("s", { data: { a: "eA==", b: "eQ==" }, stringData: { b: "plain", c: "ü" } }));
  assert.deepEqual(out.data, { a: "eA==", b: Buffer.from("plain").toString("base64"), c: Buffer.from("ü").toString("base64") });
  assert.equal(out.stringData, undefined);
  assert.throws(() => normalizeSecret(secret("s", { stringData: { n: 1 as unknown as string } })), /stringData\.n must be a string/);
});

test("sealed data hides values, opens with the key, and is bound to the secret's identity", () => {
  const sealer = secretSealer(randomBytes(32));
  const plain = secret("vcenter", { data: { password: "aHVudGVyMg==" } });
  const sealed = sealer.seal(plain);
  assert.equal(sealed.data, undefined);
  assert.ok(!JSON.stringify(sealed).includes("aHVudGVyMg=="));
  assert.deepEqual(sealer.open(sealed).data, plain.data);
  const moved = { ...sealed, metadata: { ...sealed.metadata, name: "other" } };
  assert.throws(() => sealer.open(moved), /cannot be decrypted/);
  assert.throws(() => secretSealer(randomBytes(32)).open(sealed), /wrong secret key/);
});

test("without a key secrets pass through unchanged", () => {
  const sealer = secretSealer(undefined);
  const plain = secret("s", { data: { a: "eA==" } });
  assert.deepEqual(sealer.open(sealer.seal(plain)), plain);
});
