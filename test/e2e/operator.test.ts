// Two real `landfall operator --leader-elect` processes against one (test) Kubernetes API: exactly one holds
// the Lease and reconciles; SIGKILL it (no release) and the other takes over within seconds and reconciles.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { KubeObject } from "../../src/api/meta.ts";
import { LANDFALL_BIN } from "../../src/compose/serve-process.ts";
import { eventually } from "../../src/runtime/testkit.ts";
import { writeKubeconfig } from "../harness/kube-apiserver/kubeconfig.ts";
import { type KubeApiServer, startKubeApiServer } from "../harness/kube-apiserver/server.ts";

interface OperatorProcess {
  identity: string;
  child: ChildProcess;
  health: string;
  output(): string;
}

async function startOperatorProcess(kubeconfig: string, identity: string, dataDir: string): Promise<OperatorProcess> {
  const args = ["operator", "--kubeconfig", kubeconfig, "--leader-elect", "--identity", identity, "--lease-namespace", "landfall-system"];
  args.push("--lease-duration", "3s", "--renew-deadline", "2s", "--retry-period", "0.5s", "--health-listen", "127.0.0.1:0", "--data-dir", dataDir);
  const child = spawn(LANDFALL_BIN, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LANDFALL_LOG_FORMAT: "text" } });
  let output = "";
  child.stdout?.on("data", (d) => {
    output += String(d);
  });
  child.stderr?.on("data", (d) => {
    output += String(d);
  });
  const health = await eventually(() => /health and metrics at (http:\/\/\S+)/.exec(output)?.[1], 20_000, `operator ${identity} started`).catch((err: Error) => {
    child.kill("SIGKILL");
    throw new Error(`${err.message}; output: ${output}`);
  });
  return { identity, child, health, output: () => output };
}

const leads = async (op: OperatorProcess): Promise<boolean> => ((await (await fetch(`${op.health}/healthz`)).json()) as { leader: boolean }).leader;

/** Reconciles this replica ran, from its own /metrics. */
async function reconciles(op: OperatorProcess): Promise<number> {
  const text = await (await fetch(`${op.health}/metrics`)).text();
  return [...text.matchAll(/^landfall_reconcile_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

const provider = (name: string): KubeObject => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "Provider",
  metadata: { name, namespace: "ops" },
  spec: { type: "libvirt", uri: "test:///default" },
});

describe("landfall operator with Lease leader election", () => {
  let api: KubeApiServer;
  let dir: string;
  const ops: OperatorProcess[] = [];
  before(async () => {
    api = await startKubeApiServer();
    dir = await mkdtemp(join(tmpdir(), "landfall-operator-"));
  });
  after(async () => {
    for (const op of ops) op.child.kill("SIGKILL");
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("exactly one of two replicas reconciles; kill it and the other takes over within seconds", async () => {
    const kubeconfig = await writeKubeconfig(api, dir);
    ops.push(await startOperatorProcess(kubeconfig, "op-a", join(dir, "a")), await startOperatorProcess(kubeconfig, "op-b", join(dir, "b")));
    const leader = await eventually(async () => {
      const states = await Promise.all(ops.map(leads));
      return states.filter(Boolean).length === 1 ? ops[states.indexOf(true)] : undefined;
    }, 15_000, "exactly one leader");
    const follower = ops.find((o) => o !== leader) as OperatorProcess;
    const leases = api.type("coordination.k8s.io", "Lease");
    const holder = () => api.objects.get(leases, "landfall-system", "landfall-operator").spec as { holderIdentity: string; leaseTransitions: number };
    assert.equal(holder().holderIdentity, leader.identity);

    const providers = api.type("landfall.dev", "Provider");
    api.objects.create(providers, "ops", provider("first"));
    await eventually(() => (api.objects.get(providers, "ops", "first").status as { phase?: string } | undefined)?.phase, 20_000, `Provider first reconciled (leader output: ${leader.output()})`);
    assert.ok((await reconciles(leader)) > 0, "the leader reconciled");
    assert.equal(await reconciles(follower), 0, "the follower reconciled nothing");
    assert.equal(await leads(follower), false);

    leader.child.kill("SIGKILL");
    const killedAt = Date.now();
    await eventually(() => leads(follower), 15_000, "the follower leads");
    const takeoverMs = Date.now() - killedAt;
    assert.ok(takeoverMs < 10_000, `took over in ${takeoverMs} ms`);
    api.objects.create(providers, "ops", provider("second"));
    await eventually(() => (api.objects.get(providers, "ops", "second").status as { phase?: string } | undefined)?.phase, 20_000, `Provider second reconciled (output: ${follower.output()})`);
    assert.ok((await reconciles(follower)) > 0, "the new leader reconciles");
    assert.equal(holder().holderIdentity, follower.identity);
    assert.equal(holder().leaseTransitions, 1);
    process.stdout.write(`# takeover after SIGKILL of the leader: ${takeoverMs} ms\n`);
  });
});
