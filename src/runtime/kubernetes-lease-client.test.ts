// The Lease client and the elector against the test Kubernetes API server (Leases validated against the
// published coordination.k8s.io/v1 schema): create, stale update refused, and two electors — one leads, the
// other takes over once the first stops.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { type KubeApiServer, startKubeApiServer } from "../../test/harness/kube-apiserver/server.ts";
import { isApiError } from "../api/errors.ts";
import { LeaseElector } from "./leader.ts";
import { eventually } from "./testkit.ts";
import { kubeConfigFor } from "../store/kubernetes/kubeconfig.ts";
import { kubernetesLeaseClient } from "./kubernetes-lease-client.ts";

const serverReady: Promise<KubeApiServer> = startKubeApiServer();
after(async () => (await serverReady).close());
const client = async () => {
  const s = await serverReady;
  return kubernetesLeaseClient(kubeConfigFor({ server: s.url, token: s.token }));
};

describe("Kubernetes Lease client", () => {
  test("get of a missing Lease is undefined; create, then an update from a stale resourceVersion is a Conflict", async () => {
    const c = await client();
    assert.equal(await c.get("sys", "nobody"), undefined);
    const created = await c.create({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { namespace: "sys", name: "one" },
      spec: { holderIdentity: "a", leaseDurationSeconds: 15, renewTime: "2026-11-30T08:00:00.000000Z", leaseTransitions: 0 },
    });
    assert.equal(created.spec.holderIdentity, "a");
    assert.match(created.spec.renewTime ?? "", /^2026-11-30T08:00:00/);
    const renewed = await c.update({ ...created, spec: { ...created.spec, renewTime: "2026-11-30T08:00:02.000000Z" } });
    assert.notEqual(renewed.metadata.resourceVersion, created.metadata.resourceVersion);
    await assert.rejects(c.update({ ...created, spec: { ...created.spec, holderIdentity: "b" } }), (err: unknown) => isApiError(err, "Conflict"));
    await assert.rejects(
      c.update({ ...renewed, spec: { ...renewed.spec, leaseDurationSeconds: "long" as unknown as number } }),
      (err: unknown) => isApiError(err, "Invalid") && /leaseDurationSeconds/.test((err as Error).message),
      "the server validates Leases against the published schema",
    );
  });

  test("two electors: exactly one leads; when it stops, the other takes over", async () => {
    const timing = { leaseDurationMs: 1000, renewDeadlineMs: 700, retryPeriodMs: 100 };
    const leading = new Set<string>();
    const electors = await Promise.all(
      ["a", "b"].map(async (identity) => {
        const e = new LeaseElector({ client: await client(), namespace: "sys", name: "pair", identity, ...timing });
        void e.run(
          () => void leading.add(identity),
          () => void leading.delete(identity),
        );
        return e;
      }),
    );
    await eventually(() => leading.size === 1, 5000, "one leader");
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(leading.size, 1, "still exactly one leader after several renewals");
    const [first] = leading;
    const [leader, other] = first === "a" ? electors : [electors[1], electors[0]];
    await leader.stop();
    const successor = first === "a" ? "b" : "a";
    await eventually(() => leading.size === 1 && leading.has(successor), 5000, `${successor} leading`);
    assert.equal(other.isLeader(), true);
    const lease = await (await client()).get("sys", "pair");
    assert.equal(lease?.spec.holderIdentity, successor);
    assert.equal(lease?.spec.leaseTransitions, 1);
    await other.stop();
  });
});
