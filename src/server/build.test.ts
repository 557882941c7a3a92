// The server's extension points (admission, delete hooks, extra routes), in process with an in-memory store.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { SqliteStore } from "../store/sqlite/index.ts";
import { memoryAuth } from "./auth.ts";
import { buildServer } from "./build.ts";
import { ADMIN, P, poolPathAdmission, type TestServer, testServer, VIEWER } from "./server.fixture.ts";
import type { AdmissionCheck, DeleteRequest } from "./types.ts";

const admin = ADMIN;
const viewer = VIEWER;
let server: TestServer;
let app: FastifyInstance;
let store: SqliteStore;
const admitted: Parameters<AdmissionCheck>[] = [];
const deletes: Array<[string, DeleteRequest["propagationPolicy"], boolean]> = [];

const vm = (name: string, path = "/var/lib/landfall/images/d.qcow2") => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "VirtualMachine",
  metadata: { name },
  spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: "d", path } },
});

before(async () => {
  server = await testServer({
    admission: [poolPathAdmission(admitted)],
    deleteHooks: {
      VirtualMachine: async (obj, req) => {
        deletes.push([obj.metadata.name, req.propagationPolicy, req.deleteDisks]);
        return undefined;
      },
    },
    routes: (server, { jsonRoute }) => {
      jsonRoute({ method: "GET", url: `${P.replace("default", ":ns")}/providers/:name/vms`, handler: async ({ params }) => ({ kind: "SourceVMList", provider: params.name, items: [] }) });
      jsonRoute({ method: "POST", url: `${P.replace("default", ":ns")}/virtualmachines/:name/start`, handler: async ({ params }) => ({ started: params.name }) });
      server.get("/open", { config: { access: { level: "anyone", resource: "" } } }, async () => ({ ok: true }));
    },
  });
  ({ app, store } = server);
});
after(() => server.close());

describe("server extension points", () => {
  it("runs admission on create and update and turns its error into a 422 Status", async () => {
    assert.equal((await app.inject({ method: "POST", url: `${P}/virtualmachines`, headers: admin, payload: vm("ok") })).statusCode, 201);
    const denied = await app.inject({ method: "POST", url: `${P}/virtualmachines`, headers: admin, payload: vm("evil", "/etc/shadow") });
    assert.equal(denied.statusCode, 422);
    assert.match(denied.json().message, /outside the storage pool/);
    const put = await app.inject({ method: "PUT", url: `${P}/virtualmachines/ok`, headers: admin, payload: vm("ok", "/etc/passwd") });
    assert.equal(put.statusCode, 422);
    assert.deepEqual(
      admitted.map(([op, obj, old, caller]) => [op, obj.metadata.name, old?.metadata.resourceVersion !== undefined, caller.name]),
      [
        ["CREATE", "ok", false, "admin"],
        ["CREATE", "evil", false, "admin"],
        ["UPDATE", "ok", true, "admin"],
      ],
    );
    assert.equal((await app.inject({ method: "GET", url: `${P}/virtualmachines/evil`, headers: admin })).statusCode, 404);
  });

  it("passes propagationPolicy and deleteDisks to the kind's delete hook", async () => {
    const res = await app.inject({ method: "DELETE", url: `${P}/virtualmachines/ok?propagationPolicy=Orphan&deleteDisks=true`, headers: admin });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(deletes, [["ok", "Orphan", true]]);
  });

  it("serves extra routes with the same auth rules, beside the resource routes", async () => {
    const inv = await app.inject({ method: "GET", url: `${P}/providers/vcenter/vms`, headers: viewer });
    assert.equal(inv.statusCode, 200);
    assert.equal(inv.json().provider, "vcenter");
    assert.equal((await app.inject({ method: "GET", url: `${P}/providers/vcenter/vms` })).statusCode, 401);
    // The resource route for the same prefix still answers (the store's NotFound, not a routing miss).
    const plain = await app.inject({ method: "GET", url: `${P}/providers/vcenter`, headers: admin });
    assert.equal(plain.statusCode, 404);
    assert.match(plain.json().message, /Provider "vcenter" not found/);
    assert.equal((await app.inject({ method: "POST", url: `${P}/virtualmachines/x/start`, headers: viewer })).statusCode, 403);
    assert.equal((await app.inject({ method: "POST", url: `${P}/virtualmachines/x/start`, headers: admin })).json().started, "x");
    assert.equal((await app.inject({ method: "GET", url: "/open" })).json().ok, true);
  });

  it("refuses to register a route that does not declare who may call it", () => {
    const build = () =>
      buildServer({
        store,
        auth: memoryAuth(),
        version: "test",
        routes: (server) => {
          server.get("/undeclared", async () => ({ leaked: true }));
        },
      });
    assert.throws(build, /GET \/undeclared declares no config.access/);
  });
});
