// The operator composition in-process, against the test Kubernetes API server: health and metrics endpoints, the
// leader gauge, controllers started only while leading, and the faults that must end the replica (a controller
// that cannot start while leading, a Lease taken away) rather than leave it holding the Lease idle.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type KubeApiServer, startKubeApiServer } from "../../test/harness/kube-apiserver/server.ts";
import { silentLogger } from "../runtime/logger.ts";
import { eventually } from "../runtime/testkit.ts";
import { kubeConfigFor } from "../store/kubernetes/kubeconfig.ts";
import { startOperator } from "./operator.ts";
import type { Controller } from "./wiring.ts";

const timing = { leaseDurationMs: 600, renewDeadlineMs: 400, retryPeriodMs: 100 };

describe("operator composition", () => {
  let api: KubeApiServer;
  let dir: string;
  before(async () => {
    api = await startKubeApiServer();
    dir = await mkdtemp(join(tmpdir(), "landfall-operator-unit-"));
  });
  after(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  const start = (name: string, controllers: Controller[], onFatal: (reason: string) => void) =>
    startOperator({
      kubeConfig: kubeConfigFor({ server: api.url, token: api.token }),
      leaderElect: true,
      leaseNamespace: "sys",
      leaseName: name,
      identity: `${name}-a`,
      leaseTiming: timing,
      listen: "127.0.0.1:0",
      dataDir: dir,
      logger: silentLogger,
      onFatal,
      wire: () => ({ controllers }),
    });

  test("leads, starts its controllers, reports it on /healthz and /metrics, and stops them on stop()", async () => {
    const events: string[] = [];
    const controller: Controller = { name: "probe", start: () => void events.push("start"), stop: () => void events.push("stop") };
    const fatal: string[] = [];
    const op = await start("healthy", [controller], (r) => fatal.push(r));
    await eventually(() => events.includes("start"), 5000, "controllers started");
    const health = (await (await fetch(`${op.url}/healthz`)).json()) as { leader: boolean; identity: string };
    assert.deepEqual(health, { status: "ok", leader: true, identity: "healthy-a" });
    assert.match(await (await fetch(`${op.url}/metrics`)).text(), /landfall_leader\{identity="healthy-a"\} 1/);
    await op.stop();
    assert.deepEqual(events, ["start", "stop"]);
    assert.deepEqual(fatal, [], "a requested stop is not a fault");
    const lease = api.objects.get(api.type("coordination.k8s.io", "Lease"), "sys", "healthy").spec as { holderIdentity: string };
    assert.equal(lease.holderIdentity, "", "the Lease is handed back on stop");
  });

  test("a controller that fails to start while leading ends the replica (it must not hold the Lease idle)", async () => {
    const fatal: string[] = [];
    const broken: Controller = {
      name: "broken",
      start: () => {
        throw new Error("informer for Provider did not sync");
      },
      stop: () => undefined,
    };
    const op = await start("broken", [broken], (r) => fatal.push(r));
    await eventually(() => fatal.length > 0, 5000, "fatal reported");
    assert.match(fatal[0], /controller broken failed to start while leading: informer for Provider did not sync/);
    await op.stop();
  });

  test("losing the Lease to another holder ends the replica", async () => {
    const fatal: string[] = [];
    const op = await start("stolen", [], (r) => fatal.push(r));
    await eventually(() => op.isLeader(), 5000, "leading");
    const leases = api.type("coordination.k8s.io", "Lease");
    // Another replica's write wins: from now on every renewal by this one is a Conflict or a foreign holder.
    const current = api.objects.get(leases, "sys", "stolen");
    api.objects.update(leases, "sys", "stolen", { ...current, spec: { ...(current.spec as object), holderIdentity: "intruder", renewTime: new Date(Date.now() + 3_600_000).toISOString() } }, undefined);
    await eventually(() => fatal.length > 0, 5000, "fatal reported");
    assert.equal(fatal[0], "lost the leader Lease");
    assert.equal(op.isLeader(), false);
    await op.stop();
  });
});
