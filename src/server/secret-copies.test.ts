// kubectl's client-side apply copies a Secret's values, in clear, into an annotation; the server never stores it
// (annotations are neither sealed at rest nor redacted), on create, replace or patch.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { openSqliteStore } from "../store/sqlite/index.ts";
import type { ResourceStore } from "../store/types.ts";
import { memoryAuth } from "./auth.ts";
import { buildServer } from "./build.ts";
import { LAST_APPLIED_ANNOTATION } from "./redact.ts";

const SECRETS = "/api/v1/namespaces/default/secrets";
const PASSWORD = "kubectl-copied-s3cret";
const headers = { authorization: "Bearer admin" };
let app: FastifyInstance;
let store: ResourceStore;

const secret = (extra: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: {
    name: "creds",
    annotations: { [LAST_APPLIED_ANNOTATION]: JSON.stringify({ kind: "Secret", stringData: { password: PASSWORD } }), ...extra },
  },
  stringData: { password: PASSWORD },
});

before(async () => {
  store = await openSqliteStore({ path: ":memory:", secretKey: new Uint8Array(32).fill(7) });
  app = buildServer({ store, auth: memoryAuth([{ token: "admin", role: "admin" }]), version: "test" });
  await app.ready();
});

after(async () => {
  await app?.close();
  await store?.close();
});

describe("Secrets and kubectl's last-applied-configuration", () => {
  it("is dropped on create, keeping other annotations", async () => {
    assert.equal((await app.inject({ method: "POST", url: SECRETS, headers, payload: secret({ team: "a" }) })).statusCode, 201);
    const stored = await store.get("Secret", "default", "creds");
    assert.deepEqual(stored.metadata.annotations, { team: "a" });
    const listed = await app.inject({ method: "GET", url: SECRETS, headers });
    assert.ok(!listed.body.includes(PASSWORD), "lists show no copy of the value");
  });

  it("is dropped on replace and on patch", async () => {
    assert.equal((await app.inject({ method: "PUT", url: `${SECRETS}/creds`, headers, payload: secret() })).statusCode, 200);
    assert.equal((await store.get("Secret", "default", "creds")).metadata.annotations, undefined);
    const patch = { metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: `{"stringData":{"password":"${PASSWORD}"}}` } } };
    const res = await app.inject({ method: "PATCH", url: `${SECRETS}/creds`, headers: { ...headers, "content-type": "application/merge-patch+json" }, payload: patch });
    assert.equal(res.statusCode, 200);
    assert.equal((await store.get("Secret", "default", "creds")).metadata.annotations, undefined);
  });

  it("stays on other kinds, whose values are no secret", async () => {
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", annotations: { [LAST_APPLIED_ANNOTATION]: "{}" } }, data: { a: "b" } };
    assert.equal((await app.inject({ method: "POST", url: "/api/v1/namespaces/default/configmaps", headers, payload: cm })).statusCode, 201);
    assert.equal((await store.get("ConfigMap", "default", "c")).metadata.annotations?.[LAST_APPLIED_ANNOTATION], "{}");
  });
});
