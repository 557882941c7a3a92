// The test API server must refuse what a real one refuses, or suites passing against it prove little:
// unknown fields (strict field validation), schema types, the CRDs' CEL rules, and calls without the token.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { type KubeApiServer, startKubeApiServer } from "./server.ts";

const ready: Promise<KubeApiServer> = startKubeApiServer();
after(async () => (await ready).close());

async function post(path: string, body: unknown, token?: string): Promise<{ code: number; body: { reason?: string; message?: string } }> {
  const s = await ready;
  const res = await fetch(`${s.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token ?? s.token}` },
    body: JSON.stringify(body),
  });
  return { code: res.status, body: (await res.json()) as { reason?: string; message?: string } };
}

const vm = (spec: Record<string, unknown>) => ({ apiVersion: "landfall.dev/v1beta1", kind: "VirtualMachine", metadata: { name: "x" }, spec });

describe("test Kubernetes API server validation", () => {
  test("landfall CRDs: the imageRef XOR importedDisk CEL rule and unknown fields are refused (422)", async () => {
    const both = await post("/apis/landfall.dev/v1beta1/namespaces/v/virtualmachines", vm({ providerRef: { name: "k" }, imageRef: { name: "i" }, importedDisk: { diskID: "d" } }));
    assert.equal(both.code, 422);
    assert.match(both.body.message ?? "", /exactly one of spec.imageRef or spec.importedDisk/);
    const typo = await post("/apis/landfall.dev/v1beta1/namespaces/v/virtualmachines", vm({ providerRef: { name: "k" }, imageRef: { name: "i" }, cpu: 2 }));
    assert.equal(typo.code, 422);
    assert.match(typo.body.message ?? "", /additional properties \(cpu\)/);
    assert.equal((await post("/apis/landfall.dev/v1beta1/namespaces/v/virtualmachines", vm({ providerRef: { name: "k" }, imageRef: { name: "i" } }))).code, 201);
  });

  test("KubeVirt and CDI objects are checked against their published OpenAPI", async () => {
    const bad = await post("/apis/kubevirt.io/v1/namespaces/v/virtualmachines", { apiVersion: "kubevirt.io/v1", kind: "VirtualMachine", metadata: { name: "k" }, spec: { runStrategy: "Always" } });
    assert.equal(bad.code, 422, "spec.template is required");
    const dv = await post("/apis/cdi.kubevirt.io/v1beta1/namespaces/v/datavolumes", { apiVersion: "cdi.kubevirt.io/v1beta1", kind: "DataVolume", metadata: { name: "d" }, spec: { source: { http: {} } } });
    assert.equal(dv.code, 422, "source.http.url is required");
  });

  test("no token, no access (401)", async () => {
    assert.equal((await post("/api/v1/namespaces/v/configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } }, "nope")).code, 401);
  });
});
