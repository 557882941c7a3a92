// Provider clients are leased: an edit of the Provider or its Secret gives new work a new client, while work in
// flight keeps the one it started with until it releases it — only then is the old client closed.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Provider } from "../../api/provider.ts";
import type { Secret } from "../../api/secret.ts";
import type { SourceProvider } from "../../providers/contract.ts";
import { openSqliteStore, type SqliteStore } from "../../store/sqlite/index.ts";
import { ProviderClients } from "./clients.ts";
import { providerKey } from "./ref.ts";

interface FakeSource {
  id: number;
  password: string | undefined;
  closed: boolean;
}

describe("ProviderClients leases", () => {
  let store: SqliteStore;
  const made: FakeSource[] = [];
  let clients: ProviderClients;

  before(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    clients = new ProviderClients(store, {
      source: {
        vsphere: (cfg) => {
          const fake: FakeSource = { id: made.length, password: cfg.password, closed: false };
          made.push(fake);
          return {
            fake,
            close: async () => {
              fake.closed = true;
            },
          } as unknown as SourceProvider;
        },
      },
      target: {},
    });
    for (const ns of ["team-a", "infra"]) {
      await store.create<Secret>({ apiVersion: "landfall.dev/v1beta1", kind: "Secret", metadata: { name: "creds", namespace: ns }, stringData: { username: "u", password: "one" } } as Secret);
      await store.create<Provider>({
        apiVersion: "landfall.dev/v1beta1",
        kind: "Provider",
        metadata: { name: "vcenter", namespace: ns },
        spec: { type: "vsphere", endpoint: "https://vc.example/sdk", credentialsRef: { name: "creds" } },
      } as Provider);
    }
  });
  after(async () => {
    await clients.close();
    await store.close();
  });

  const fakeOf = (c: SourceProvider) => (c as unknown as { fake: FakeSource }).fake;

  it("keeps a leased client open across a Secret edit; new work gets a new client; the old one closes on release", async () => {
    const inFlight = await clients.leaseSource({ name: "vcenter" }, "team-a");
    const old = fakeOf(inFlight.client);
    const secret = await store.get<Secret>("Secret", "team-a", "creds");
    await store.update<Secret>({ ...secret, stringData: { username: "u", password: "two" } } as Secret);

    const next = await clients.leaseSource({ name: "vcenter" }, "team-a");
    assert.notEqual(fakeOf(next.client).id, old.id, "new work gets a client built from the new Secret");
    assert.equal(fakeOf(next.client).password, "two");
    assert.equal(old.closed, false, "the client of the transfer in flight stays open");

    await inFlight.release();
    assert.equal(old.closed, true, "closed once its last user released it");
    await inFlight.release();
    assert.equal(fakeOf(next.client).closed, false, "a second release of the old lease does not touch the new client");
    await next.release();
    assert.equal(fakeOf(next.client).closed, false, "the current client stays cached after its users are done");
  });

  it("forgetting a Provider (deleted) closes its client only after the work holding it ends", async () => {
    const held = await clients.leaseSource({ name: "vcenter" }, "team-a");
    await clients.forget("team-a", "vcenter");
    assert.equal(fakeOf(held.client).closed, false);
    await held.release();
    assert.equal(fakeOf(held.client).closed, true);
  });

  it("follows providerRef.namespace, defaulting to the referring object's namespace", async () => {
    const own = await clients.leaseSource({ name: "vcenter" }, "team-a");
    const other = await clients.leaseSource({ name: "vcenter", namespace: "infra" }, "team-a");
    assert.equal(own.provider.metadata.namespace, "team-a");
    assert.equal(other.provider.metadata.namespace, "infra");
    assert.notEqual(fakeOf(own.client).id, fakeOf(other.client).id);
    await own.release();
    await other.release();
    assert.deepEqual(providerKey({ name: "kvm" }, "team-a"), { namespace: "team-a", name: "kvm" });
    assert.deepEqual(providerKey({ name: "kvm", namespace: "infra" }, "team-a"), { namespace: "infra", name: "kvm" });
  });
});
