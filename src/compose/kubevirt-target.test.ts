// A Provider of type kubevirt, from the resource to its Ready condition: the production factories build the
// KubeVirt target from the kubeconfig in the kubeconfigRef Secret, and the Provider controller reports Connected,
// InvalidCredentials or Unreachable against the test Kubernetes API server — and says what to fix when the Secret,
// its key or the cluster configuration is missing, or diskTransfer asks for what is not implemented.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { writeKubeconfig } from "../../test/harness/kube-apiserver/kubeconfig.ts";
import { type KubeApiServer, startKubeApiServer } from "../../test/harness/kube-apiserver/server.ts";
import type { Provider } from "../api/provider.ts";
import type { Secret } from "../api/secret.ts";
import { ProviderClients } from "../controllers/provider/clients.ts";
import { providerReconciler } from "../controllers/provider/reconcile.ts";
import { openSqliteStore, type SqliteStore } from "../store/sqlite/index.ts";
import { kubeConfigOf } from "./kubevirt-target.ts";
import { providerFactories } from "./providers.ts";

const NS = "team-a";

describe("Provider type kubevirt: built from its Secret, Ready from the cluster's answer", () => {
  let api: KubeApiServer;
  let store: SqliteStore;
  let clients: ProviderClients;
  let dir: string;
  let kubeconfig: string;
  let reconcile: ReturnType<typeof providerReconciler>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "landfall-kv-provider-"));
    api = await startKubeApiServer();
    kubeconfig = await readFile(await writeKubeconfig(api, dir), "utf8");
    store = await openSqliteStore({ path: ":memory:" });
    clients = new ProviderClients(store, providerFactories({ dataDir: dir }));
    reconcile = providerReconciler({ store, clients, log: () => undefined });
  });
  after(async () => {
    await clients.close();
    await store.close();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  const secret = (name: string, stringData: Record<string, string>) =>
    store.create<Secret>({ apiVersion: "landfall.dev/v1beta1", kind: "Secret", metadata: { name, namespace: NS }, stringData } as Secret);
  const ready = async (name: string, spec: Partial<Provider["spec"]>) => {
    await store.create<Provider>({ apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name, namespace: NS }, spec: { type: "kubevirt", namespace: "vms", ...spec } } as Provider);
    await reconcile({ namespace: NS, name });
    const p = await store.get<Provider>("Provider", NS, name);
    return p.status?.conditions?.find((c) => c.type === "Ready");
  };

  test("Connected through the kubeconfig in the Secret", async () => {
    await secret("good", { kubeconfig });
    const c = await ready("cluster", { kubeconfigRef: { name: "good" } });
    assert.deepEqual([c?.status, c?.reason], ["True", "Connected"], c?.message);
  });

  test("InvalidCredentials with a token the cluster refuses", async () => {
    await secret("stale", { kubeconfig: kubeconfig.replace(api.token, "not-the-token") });
    const c = await ready("stale-token", { kubeconfigRef: { name: "stale" } });
    assert.deepEqual([c?.status, c?.reason], ["False", "InvalidCredentials"], c?.message);
  });

  test("Unreachable when nothing answers at the cluster's address", async () => {
    await secret("gone", { kubeconfig: kubeconfig.replace(api.url, "http://127.0.0.1:9") });
    const c = await ready("gone", { kubeconfigRef: { name: "gone" } });
    assert.deepEqual([c?.status, c?.reason], ["False", "Unreachable"], c?.message);
  });

  test("a missing Secret and a Secret without the kubeconfig key are named with what to do", async () => {
    assert.match((await ready("no-secret", { kubeconfigRef: { name: "absent" } }))?.message ?? "", /spec\.kubeconfigRef: Secret "absent" not found in namespace "team-a"; create it with stringData\.kubeconfig/);
    await secret("empty", { other: "x" });
    assert.match((await ready("no-key", { kubeconfigRef: { name: "empty" } }))?.message ?? "", /Secret "empty" in namespace "team-a" has no key kubeconfig/);
  });

  test("without kubeconfigRef only a pod in a cluster has a configuration", () => {
    assert.throws(() => kubeConfigOf({ name: "kv", namespace: NS, spec: { type: "kubevirt" } }, {}), /spec\.kubeconfigRef is required outside a cluster/);
  });
});
