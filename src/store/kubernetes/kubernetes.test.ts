// The ResourceStore contract against the test-only Kubernetes API server (test/harness/kube-apiserver/: the
// REST and watch protocol, objects validated strictly against the published schemas), spoken to only through
// @kubernetes/client-node — never against landfall's own server.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type KubeApiServer, startKubeApiServer } from "../../../test/harness/kube-apiserver/server.ts";
import { apiError, recordWatch, sampleConfigMap, sampleVM } from "../contract-helpers.ts";
import { runStoreContract } from "../contract.ts";
import { kubeConfigFor } from "./kubeconfig.ts";
import { createKubernetesStore } from "./store.ts";

const serverReady = startKubeApiServer();
after(async () => {
  await (await serverReady).close();
});

const open = async () => {
  const s = await serverReady;
  return createKubernetesStore({ kubeConfig: kubeConfigFor({ server: s.url, token: s.token }) });
};

runStoreContract("kubernetes (test Kubernetes API server)", open, {
  compactHistory: async () => (await serverReady).objects.compact(),
});

describe("kubernetes store adapter", () => {
  let s: KubeApiServer;
  before(async () => {
    s = await serverReady;
  });
  const storeWith = (watchBufferSize?: number) =>
    createKubernetesStore({ kubeConfig: kubeConfigFor({ server: s.url, token: s.token }), ...(watchBufferSize ? { watchBufferSize } : {}) });

  test("a landfall.dev/v1beta1 Secret is written and read back as a core v1 Secret", async () => {
    const store = storeWith();
    const created = await store.create({ apiVersion: "landfall.dev/v1beta1", kind: "Secret", metadata: { name: "conv", namespace: "k8s-adapter" }, stringData: { a: "b" } });
    assert.equal(created.apiVersion, "v1");
    const listed = await store.list("Secret", { namespace: "k8s-adapter" });
    assert.deepEqual(
      listed.items.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`),
      ["v1 Secret conv"],
    );
    await store.close();
  });

  test("server errors keep the server's reason and message; a wrong token is Unauthorized", async () => {
    const store = storeWith();
    await assert.rejects(store.get("VirtualMachine", "k8s-adapter", "missing"), (err: unknown) => apiError("NotFound", 404)(err) && /missing/.test((err as Error).message));
    const stranger = createKubernetesStore({ kubeConfig: kubeConfigFor({ server: s.url, token: "not-the-token" }) });
    await assert.rejects(stranger.get("ConfigMap", "default", "x"), apiError("Unauthorized", 401));
    await assert.rejects(store.get("Gizmo", "default", "x"), /not a landfall kind/);
    await store.close();
  });

  test("a watcher slower than its buffer still sees every event once, in order (the watch resumes)", async () => {
    const store = storeWith(2);
    const ns = `k8s-slow-${Date.now()}`;
    const start = await store.revision();
    const iterator = store.watch("ConfigMap", { namespace: ns, resourceVersion: start })[Symbol.asyncIterator]();
    const names = ["c0", "c1", "c2", "c3", "c4", "c5"];
    for (const n of names) await store.create(sampleConfigMap(ns, n));
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the buffer overflow while nobody reads
    const seen: string[] = [];
    while (seen.length < names.length) seen.push((await iterator.next()).value?.object.metadata.name ?? "<end>");
    assert.deepEqual(seen, names);
    await iterator.return?.();
    await store.close();
  });

  test("close ends open watches", async () => {
    const store = storeWith();
    const watch = recordWatch(store, "VirtualMachine", { namespace: "k8s-close" });
    await store.create(sampleVM("k8s-close", "one"));
    await watch.waitFor(1);
    await store.close();
    await watch.ended;
    await assert.rejects(store.get("VirtualMachine", "k8s-close", "one"), apiError("ServiceUnavailable", 503));
  });
});
