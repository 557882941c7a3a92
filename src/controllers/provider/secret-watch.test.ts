// The Provider controller's Secret watch caches no Secret values: a credentials edit still re-checks the Provider
// at once, and the reconcile reads the values from the store, but nothing the informers keep holds them.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Provider } from "../../api/provider.ts";
import type { Secret } from "../../api/secret.ts";
import { Controller } from "../../runtime/controller.ts";
import { SharedInformers } from "../../runtime/shared-informers.ts";
import { eventually } from "../../runtime/testkit.ts";
import { openSqliteStore, type SqliteStore } from "../../store/sqlite/index.ts";
import { providerRefersTo, SECRET_INDEX, secretWatch } from "./dependents.ts";

const ns = "team-a";
const FIRST = "first-s3cret-value";
const SECOND = "second-s3cret-value";

describe("Provider controller's Secret watch (metadata only)", () => {
  let store: SqliteStore;
  before(async () => {
    store = await openSqliteStore({ path: ":memory:" });
  });
  after(async () => {
    await store.close();
  });

  /** Every way a value could appear in a cached object: as it is, base64 (data), or inside an annotation. */
  const holdsValue = (objs: unknown[], value: string) => {
    const text = JSON.stringify(objs);
    return text.includes(value) || text.includes(Buffer.from(value).toString("base64"));
  };

  it("re-checks the Provider on a Secret edit, reading the values from the store, and caches none of them", async () => {
    const lastApplied = JSON.stringify({ stringData: { password: FIRST } });
    await store.create<Secret>({
      apiVersion: "landfall.dev/v1beta1",
      kind: "Secret",
      metadata: { name: "creds", namespace: ns, labels: { app: "vc" }, annotations: { "kubectl.kubernetes.io/last-applied-configuration": lastApplied } },
      stringData: { username: "u", password: FIRST },
    } as Secret);
    await store.create<Provider>({
      apiVersion: "landfall.dev/v1beta1",
      kind: "Provider",
      metadata: { name: "vcenter", namespace: ns },
      spec: { type: "vsphere", endpoint: "https://vc.example/sdk", credentialsRef: { name: "creds" } },
    } as Provider);

    const informers = new SharedInformers({ store, resyncMs: 0 });
    const seen: string[] = [];
    const controller = new Controller<Provider>({
      name: "provider",
      kind: "Provider",
      store,
      informers,
      indexes: { [SECRET_INDEX]: providerRefersTo },
      watches: [secretWatch],
      // As the Provider reconciler does: the values come from the store, on demand.
      reconcile: async (key) => {
        const secret = await store.get<Secret>("Secret", key.namespace, "creds");
        const data = secret.data ?? {};
        seen.push(Buffer.from(data.password ?? "", "base64").toString() || (secret.stringData?.password ?? ""));
      },
    });
    await controller.start();
    try {
      await eventually(() => seen.includes(FIRST), 5000, "the Provider reconciled with the first password");
      const secret = await store.get<Secret>("Secret", ns, "creds");
      await store.update<Secret>({ ...secret, data: undefined, stringData: { username: "u", password: SECOND } } as Secret);
      await eventually(() => seen.includes(SECOND), 5000, "the Secret edit re-checked the Provider");

      const secrets = informers.informerFor("Secret", { metadataOnly: true });
      assert.deepEqual(secrets.keys(), [`${ns}/creds`], "the Secret is watched");
      const cached = secrets.get(`${ns}/creds`);
      assert.equal(cached?.metadata.resourceVersion, (await store.get("Secret", ns, "creds")).metadata.resourceVersion, "its version is cached");
      assert.deepEqual(Object.keys(cached ?? {}).sort(), ["apiVersion", "kind", "metadata"], "no data, stringData or type");
      assert.equal(cached?.metadata.annotations, undefined, "no annotations (a last-applied copy holds the values)");
      const everything = [...secrets.list(), ...informers.informerFor("Provider").list()];
      assert.equal(holdsValue(everything, FIRST), false, "the first password is not in any cache");
      assert.equal(holdsValue(everything, SECOND), false, "the second password is not in any cache");
      assert.equal(informers.informerFor("Secret").lists, 0, "no whole-object Secret informer was ever filled");
    } finally {
      await controller.stop();
      await informers.stop();
    }
  });
});
