// `?dryRun=All` on every write route: validation and admission run, nothing is written (the store's revision
// does not move), no delete hook runs, and the answer is the object that would be stored.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { SqliteStore } from "../store/sqlite/index.ts";
import { parseDryRun } from "./dry-run.ts";
import { ADMIN, P, poolPathAdmission, type TestServer, testServer, VIEWER } from "./server.fixture.ts";
import type { AdmissionCheck } from "./types.ts";

const admin = ADMIN;
const viewer = VIEWER;
let server: TestServer;
let app: FastifyInstance;
let store: SqliteStore;
const admitted: Parameters<AdmissionCheck>[] = [];
const hooked: string[] = [];

const vm = (name: string, cpus = 1, path = "/var/lib/landfall/images/d.qcow2") => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "VirtualMachine",
  metadata: { name, finalizers: ["landfall.dev/domain"] },
  spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: "d", path }, cpus },
});

before(async () => {
  server = await testServer({
    admission: [poolPathAdmission(admitted)],
    deleteHooks: {
      VirtualMachine: async (obj) => {
        hooked.push(obj.metadata.name);
        return undefined;
      },
    },
  });
  ({ app, store } = server);
  assert.equal((await app.inject({ method: "POST", url: `${P}/virtualmachines`, headers: admin, payload: vm("live") })).statusCode, 201);
});
after(() => server.close());

/** Runs a request and asserts that it wrote nothing: the store's global revision is where it was. */
type Request = { method: "POST" | "PUT" | "PATCH" | "DELETE"; url: string; headers: Record<string, string>; payload?: unknown };
async function writesNothing(request: Request) {
  const before = await store.revision();
  const res = await app.inject({ ...request, payload: request.payload as string | object | undefined });
  assert.equal(await store.revision(), before, `${res.statusCode} ${res.body}: a dry run moved the store's revision`);
  return res;
}

describe("server-side dry run", () => {
  it("create: admitted and answered with uid and generation, but never stored", async () => {
    admitted.length = 0;
    const res = await writesNothing({ method: "POST", url: `${P}/virtualmachines?dryRun=All`, headers: admin, payload: vm("planned", 2) });
    assert.equal(res.statusCode, 201, res.body);
    const obj = res.json();
    assert.equal(obj.metadata.name, "planned");
    assert.equal(obj.metadata.generation, 1);
    assert.match(obj.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.equal(obj.spec.cpus, 2);
    assert.deepEqual(admitted.map(([op, obj]) => `${op} ${obj.metadata.name}`), ["CREATE planned"]);
    assert.equal((await app.inject({ method: "GET", url: `${P}/virtualmachines/planned`, headers: admin })).statusCode, 404);
  });

  it("create: validation, admission and AlreadyExists fail exactly as a real write would", async () => {
    const invalid = await writesNothing({ method: "POST", url: `${P}/virtualmachines?dryRun=All`, headers: admin, payload: { ...vm("bad"), spec: { ...vm("bad").spec, cpus: "two" } } });
    assert.equal(invalid.statusCode, 422);
    assert.ok(invalid.json().details.causes.some((c: { field: string }) => c.field === "spec.cpus"), invalid.body);
    const refused = await writesNothing({ method: "POST", url: `${P}/virtualmachines?dryRun=All`, headers: admin, payload: vm("evil", 1, "/etc/shadow") });
    assert.equal(refused.statusCode, 422);
    assert.match(refused.json().message, /outside the storage pool/);
    const exists = await writesNothing({ method: "POST", url: `${P}/virtualmachines?dryRun=All`, headers: admin, payload: vm("live") });
    assert.equal(exists.statusCode, 409);
    assert.equal(exists.json().reason, "AlreadyExists");
  });

  it("update and patch: the answer has the new spec and generation; the stored object keeps the old", async () => {
    const stored = (await app.inject({ method: "GET", url: `${P}/virtualmachines/live`, headers: admin })).json();
    const put = await writesNothing({ method: "PUT", url: `${P}/virtualmachines/live?dryRun=All`, headers: admin, payload: { ...stored, spec: { ...stored.spec, cpus: 4 } } });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json().spec.cpus, 4);
    assert.equal(put.json().metadata.generation, 2);
    const patch = await writesNothing({
      method: "PATCH",
      url: `${P}/virtualmachines/live?dryRun=All`,
      headers: { ...admin, "content-type": "application/merge-patch+json" },
      payload: { spec: { cpus: 8 } },
    });
    assert.equal(patch.statusCode, 200, patch.body);
    assert.equal(patch.json().spec.cpus, 8);
    const stale = await writesNothing({ method: "PUT", url: `${P}/virtualmachines/live?dryRun=All`, headers: admin, payload: { ...stored, metadata: { ...stored.metadata, resourceVersion: `${Number(stored.metadata.resourceVersion) + 1000}` }, spec: { ...stored.spec, cpus: 4 } } });
    assert.equal(stale.statusCode, 409, "a stale resourceVersion conflicts in a dry run too");
    const status = await writesNothing({ method: "PUT", url: `${P}/virtualmachines/live/status?dryRun=All`, headers: admin, payload: { ...stored, status: { phase: "Running" } } });
    assert.equal(status.json().status.phase, "Running");
    const now = (await app.inject({ method: "GET", url: `${P}/virtualmachines/live`, headers: admin })).json();
    assert.equal(now.spec.cpus, 1);
    assert.equal(now.metadata.generation, 1);
    assert.equal(now.status?.phase, undefined);
  });

  it("server-side apply: a new object and a change are judged, not stored", async () => {
    const headers = { ...admin, "content-type": "application/apply-patch+yaml" };
    const created = await writesNothing({ method: "PATCH", url: `${P}/virtualmachines/applied?dryRun=All&fieldManager=gitops`, headers, payload: JSON.stringify(vm("applied", 3)) });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().spec.cpus, 3);
    const changed = await writesNothing({ method: "PATCH", url: `${P}/virtualmachines/live?dryRun=All&fieldManager=gitops&force=true`, headers, payload: JSON.stringify(vm("live", 6)) });
    assert.equal(changed.json().spec.cpus, 6);
  });

  it("delete: runs no delete hook and answers the object marked for deletion, which stays as it was", async () => {
    hooked.length = 0;
    const res = await writesNothing({ method: "DELETE", url: `${P}/virtualmachines/live?dryRun=All&propagationPolicy=Orphan`, headers: admin });
    assert.equal(res.statusCode, 200, res.body);
    assert.ok(res.json().metadata.deletionTimestamp, "the answer is the object as a delete would leave it (finalizers: marked)");
    assert.deepEqual(hooked, []);
    const now = (await app.inject({ method: "GET", url: `${P}/virtualmachines/live`, headers: admin })).json();
    assert.equal(now.metadata.deletionTimestamp, undefined);
    // kubectl delete --dry-run=server sends it in the DeleteOptions body.
    const fromBody = await writesNothing({ method: "DELETE", url: `${P}/virtualmachines/live`, headers: admin, payload: { kind: "DeleteOptions", apiVersion: "v1", dryRun: ["All"] } });
    assert.ok(fromBody.json().metadata.deletionTimestamp, fromBody.body);
    assert.deepEqual(hooked, []);
    const missing = await writesNothing({ method: "DELETE", url: `${P}/virtualmachines/nothing?dryRun=All`, headers: admin });
    assert.equal(missing.statusCode, 404);
  });

  it("is still a write: a viewer is refused, and an unknown dryRun value is a 400 naming it", async () => {
    assert.equal((await writesNothing({ method: "POST", url: `${P}/virtualmachines?dryRun=All`, headers: viewer, payload: vm("v") })).statusCode, 403);
    const bad = await writesNothing({ method: "POST", url: `${P}/virtualmachines?dryRun=Yes`, headers: admin, payload: vm("v") });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().message, /dryRun "Yes" is not supported; use dryRun=All/);
    assert.equal(parseDryRun(undefined), false);
    assert.equal(parseDryRun("All"), true);
    assert.equal(parseDryRun(undefined, { dryRun: [] }), false);
    assert.throws(() => parseDryRun(undefined, { dryRun: ["Some"] }), /dryRun "Some" is not supported/);
  });
});
