// OpenAPI documents: kubectl finds each kind by group-version-kind, learns that the server validates fields,
// and gets JSON (never a protobuf it cannot read) from /openapi/v2.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { openSqliteStore, type SqliteStore } from "../store/sqlite/index.ts";
import { memoryAuth } from "./auth.ts";
import { buildServer } from "./build.ts";
import { acceptsJson, GROUP_VERSIONS, openApiV3Document } from "./openapi.ts";

let store: SqliteStore;
let app: FastifyInstance;
const auth = { authorization: "Bearer t" };

before(async () => {
  store = await openSqliteStore({ path: ":memory:" });
  app = buildServer({ store, auth: memoryAuth([{ token: "t", role: "viewer" }]), version: "test" });
});
after(async () => {
  await app.close();
  await store.close();
});

describe("OpenAPI", () => {
  it("describes every landfall kind with its group-version-kind and a PATCH that takes fieldValidation", () => {
    const doc = openApiV3Document(GROUP_VERSIONS[0], "test") as { components: { schemas: Record<string, Record<string, unknown>> }; paths: Record<string, { patch: { parameters: Array<{ name: string }>; requestBody: { content: Record<string, unknown> } } }> };
    const vm = doc.components.schemas["dev.landfall.v1beta1.VirtualMachine"];
    assert.deepEqual(vm["x-kubernetes-group-version-kind"], [{ group: "landfall.dev", version: "v1beta1", kind: "VirtualMachine" }]);
    const importedDisk = ((vm.properties as Record<string, { properties: Record<string, { required: string[] }> }>).spec).properties.importedDisk;
    assert.deepEqual(importedDisk.required, ["diskID"]);
    const patch = doc.paths["/apis/landfall.dev/v1beta1/namespaces/{namespace}/virtualmachines/{name}"].patch;
    assert.ok(patch.parameters.some((p) => p.name === "fieldValidation"));
    assert.ok("application/apply-patch+yaml" in patch.requestBody.content);
    assert.ok(!("application/strategic-merge-patch+json" in patch.requestBody.content), "custom kinds take no strategic merge patches");
  });

  it("serves v3 by group-version (hash links) and v2 as JSON; a protobuf-only Accept gets 406", async () => {
    const index = await app.inject({ url: "/openapi/v3", headers: auth });
    const paths = index.json().paths as Record<string, { serverRelativeURL: string }>;
    assert.deepEqual(Object.keys(paths).sort(), ["api/v1", "apis/landfall.dev/v1beta1"]);
    const core = await app.inject({ url: paths["api/v1"].serverRelativeURL, headers: auth });
    assert.equal(core.headers["cache-control"], "public, immutable");
    assert.ok(core.json().components.schemas["io.k8s.api.core.v1.Secret"]);
    const v2 = await app.inject({ url: "/openapi/v2", headers: { ...auth, accept: "application/json" } });
    assert.equal(v2.json().swagger, "2.0");
    assert.equal((await app.inject({ url: "/openapi/v2", headers: { ...auth, accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf" } })).statusCode, 406);
    assert.equal((await app.inject({ url: "/openapi/v3/apis/nope/v1", headers: auth })).statusCode, 404);
    assert.equal((await app.inject({ url: "/openapi/v3" })).statusCode, 401, "only for authenticated callers");
    assert.ok(acceptsJson("application/com.github.proto-openapi.spec.v2@v1.0+protobuf, */*"));
  });

  it("answers /api with the core group's version", async () => {
    assert.deepEqual((await app.inject({ url: "/api", headers: auth })).json().versions, ["v1"]);
  });
});
