// Lists honour fieldSelector=metadata.name=NAME (kubectl wait lists with it; ignoring it made `wait` judge
// another object), as Tables too, and refuse selectors they do not support.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { openSqliteStore, type SqliteStore } from "../store/sqlite/index.ts";
import { memoryAuth } from "./auth.ts";
import { buildServer } from "./build.ts";

const P = "/apis/landfall.dev/v1beta1/namespaces/default/virtualmachines";
const headers = { authorization: "Bearer t" };
let store: SqliteStore;
let app: FastifyInstance;

before(async () => {
  store = await openSqliteStore({ path: ":memory:" });
  app = buildServer({ store, auth: memoryAuth([{ token: "t", role: "admin" }]), version: "test" });
  for (const name of ["a", "b"]) {
    const res = await app.inject({ method: "POST", url: P, headers, payload: { apiVersion: "landfall.dev/v1beta1", kind: "VirtualMachine", metadata: { name }, spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: name } } } });
    assert.equal(res.statusCode, 201, res.body);
  }
});
after(async () => {
  await app.close();
  await store.close();
});

describe("list field selectors", () => {
  it("lists only the named object, in a namespace, across namespaces and as a Table", async () => {
    const names = (body: { items: Array<{ metadata: { name: string } }> }) => body.items.map((i) => i.metadata.name);
    assert.deepEqual(names((await app.inject({ url: `${P}?fieldSelector=metadata.name%3Db`, headers })).json()), ["b"]);
    assert.deepEqual(names((await app.inject({ url: "/apis/landfall.dev/v1beta1/virtualmachines?fieldSelector=metadata.name%3Da", headers })).json()), ["a"]);
    const table = (await app.inject({ url: `${P}?fieldSelector=metadata.name%3Db`, headers: { ...headers, accept: "application/json;as=Table;v=v1;g=meta.k8s.io" } })).json();
    assert.deepEqual(table.rows.map((r: { cells: unknown[] }) => r.cells[0]), ["b"]);
    assert.deepEqual(names((await app.inject({ url: P, headers })).json()), ["a", "b"]);
    assert.equal((await app.inject({ url: `${P}?fieldSelector=spec.cpus%3D2`, headers })).statusCode, 400);
  });
});
