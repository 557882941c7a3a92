// Dependents react to what they depend on (issue 16), through a real server, the vCenter simulator and libvirtd:
// fixing a Provider's credentials Secret makes the Provider Connected at once (not at its next periodic check,
// 10 s away while it is not Ready), and a VirtualMachine created before its Provider is reconciled as soon as the
// Provider appears (not at its next poll, ≥ 10 s away and backing off).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Condition } from "../../src/api/meta.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { RECHECK_NOT_READY_MS } from "../../src/controllers/provider/reconcile.ts";
import { MISSING_PROVIDER_RECHECK_MS } from "../../src/controllers/virtualmachine/decide.ts";
import { writeBootDisk } from "../harness/bootdisk.ts";
import { api, applyYaml, resourcePath, waitFor } from "../harness/landfall.ts";
import { createTempLibvirt, type TempLibvirt } from "../harness/libvirt.ts";
import { startVcsim, type Vcsim } from "../harness/vcsim/harness.ts";

/** Well under the periodic checks the events replace, so only an event can meet it. */
const WAKE_BOUND_MS = 3_000;

let vc: Vcsim;
let srv: ServeProcess;
let env: TempLibvirt;
let ns: string;

before(async () => {
  env = await createTempLibvirt("deps");
  ns = env.prefix;
  await mkdir(env.poolPath, { recursive: true });
  vc = await startVcsim({ password: `Pw-${randomUUID()}` });
  srv = await startServeProcess({});
});

after(async () => {
  await srv?.stop();
  await vc?.stop();
  await env?.cleanup();
});

async function ready(plural: string, name: string): Promise<Condition | undefined> {
  const res = await api<{ status?: { conditions?: Condition[] } }>(srv, resourcePath(ns, plural, name));
  return res.status === 200 ? res.body.status?.conditions?.find((c) => c.type === "Ready") : undefined;
}

const secret = (password: string) => `apiVersion: landfall.dev/v1beta1
kind: Secret
metadata: {name: vc-creds, namespace: ${ns}}
stringData: {username: ${vc.username}, password: ${password}}
`;

test("fixing the credentials Secret makes an InvalidCredentials Provider Connected within seconds", async () => {
  assert.ok(WAKE_BOUND_MS < RECHECK_NOT_READY_MS, "the bound is shorter than the periodic re-check");
  await applyYaml(
    srv,
    `${secret("not-the-password")}---
apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: vc, namespace: ${ns}}
spec: {type: vsphere, endpoint: "${vc.url}", credentialsRef: {name: vc-creds}, tls: {thumbprint: "${vc.thumbprint}"}}
`,
  );
  await waitFor("Provider vc InvalidCredentials", 30_000, async () => ((await ready("providers", "vc"))?.reason === "InvalidCredentials" ? true : undefined));
  const fixed = performance.now();
  await applyYaml(srv, secret(vc.password));
  const c = await waitFor("Provider vc Connected", 30_000, async () => {
    const r = await ready("providers", "vc");
    return r?.status === "True" ? r : undefined;
  });
  const took = performance.now() - fixed;
  assert.equal(c.reason, "Connected");
  assert.ok(took < WAKE_BOUND_MS, `Connected ${took.toFixed(0)} ms after the Secret was fixed; the Secret's update must wake the Provider`);
});

test("a VirtualMachine created before its Provider is reconciled within seconds of the Provider's creation", async () => {
  assert.ok(WAKE_BOUND_MS < MISSING_PROVIDER_RECHECK_MS.min, "the bound is shorter than the missing-Provider poll");
  const disk = join(env.poolPath, "early.raw");
  await writeBootDisk(disk, { sizeBytes: 1 << 20, marker: "EARLY", fill: "zero" });
  await applyYaml(
    srv,
    `apiVersion: landfall.dev/v1beta1
kind: VirtualMachine
metadata: {name: early, namespace: ${ns}}
spec: {providerRef: {name: kvm}, memoryMiB: 64, powerState: "Off", importedDisk: {diskID: early, path: "${disk}", format: raw}}
`,
  );
  const waiting = await waitFor("VM early waiting for its Provider", 30_000, async () => {
    const r = await ready("virtualmachines", "early");
    return r?.reason === "ProviderNotFound" ? r : undefined;
  });
  assert.match(waiting.message ?? "", /Provider "kvm" not found/);
  const created = performance.now();
  await applyYaml(
    srv,
    `apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: kvm, namespace: ${ns}}
spec: {type: libvirt, uri: "qemu:///system", storagePool: ${env.pool}, storagePoolPath: ${env.poolPath}}
`,
  );
  const reconciled = await waitFor("VM early reconciled past ProviderNotFound", 30_000, async () => {
    const r = await ready("virtualmachines", "early");
    return r && r.reason !== "ProviderNotFound" ? r : undefined;
  }, 50);
  const took = performance.now() - created;
  assert.ok(took < WAKE_BOUND_MS, `reconciled ${took.toFixed(0)} ms after the Provider's creation (now ${reconciled.reason}); the Provider's creation must wake the VM`);
  const stopped = await waitFor("VM early Stopped", 30_000, async () => {
    const r = await ready("virtualmachines", "early");
    return r?.status === "True" ? r : undefined;
  });
  assert.equal(stopped.reason, "Stopped");
});
