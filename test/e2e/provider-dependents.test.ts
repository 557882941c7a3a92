// Dependents react to what they depend on (issue 16), through a real server, the vCenter simulator and libvirtd:
// fixing a Provider's credentials Secret makes the Provider Connected at once (not at its next periodic check,
// 10 s away while it is not Ready), and a VirtualMachine created before its Provider is reconciled as soon as the
// Provider appears (not at its next poll, which backs off from 10 s).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Condition } from "../../src/api/meta.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { RECHECK_NOT_READY_MS } from "../../src/controllers/provider/reconcile.ts";
import { MISSING_PROVIDER_RECHECK_MS } from "../../src/controllers/virtualmachine/decide.ts";
import { writeBootDisk } from "../harness/bootdisk.ts";
import { api, applyYaml, resourcePath, waitFor } from "../harness/landfall.ts";
import { createTempLibvirt, type TempLibvirt } from "../harness/libvirt.ts";
import { startVcsim, type Vcsim } from "../harness/vcsim/harness.ts";

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

test("fixing the credentials Secret makes an InvalidCredentials Provider Connected at once, not at its next check", async () => {
  await applyYaml(
    srv,
    `${secret("not-the-password")}---
apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: vc, namespace: ${ns}}
spec: {type: vsphere, endpoint: "${vc.url}", credentialsRef: {name: vc-creds}, tls: {thumbprint: "${vc.thumbprint}"}}
`,
  );
  const invalid = await waitFor("Provider vc InvalidCredentials", 30_000, async () => {
    const r = await ready("providers", "vc");
    return r?.reason === "InvalidCredentials" ? r : undefined;
  }, 50);
  // Ready turned False at the Provider's first check; its next periodic check is RECHECK_NOT_READY_MS later.
  const nextCheck = Date.parse(invalid.lastTransitionTime as string) + RECHECK_NOT_READY_MS;
  const fixed = Date.now();
  await applyYaml(srv, secret(vc.password));
  const connected = await waitFor("Provider vc Connected", 30_000, async () => {
    const r = await ready("providers", "vc");
    return r?.status === "True" ? { ...r, at: Date.now() } : undefined;
  }, 50);
  assert.equal(connected.reason, "Connected");
  assert.ok(
    connected.at < nextCheck,
    `Connected ${connected.at - fixed} ms after the Secret was fixed, ${connected.at - nextCheck} ms after the periodic check was due: the Secret's update must wake the Provider; server output:\n${srv.output().slice(-4000)}`,
  );
  assert.ok(connected.at - fixed < 3_000, `Connected ${connected.at - fixed} ms after the Secret was fixed (goal < 3 s)`);
});

test("a VirtualMachine created before its Provider is reconciled when the Provider is created, not at its next poll", async () => {
  // The VM's missing-Provider polls back off: 10 s, 10 s, 20 s after its Ready condition turned False. The Provider
  // is created just after the second poll, so the next poll is ≥ 19 s away; being past ProviderNotFound before that
  // poll is due proves the Provider's creation woke the VM, however long the reconcile itself takes under load.
  const { min } = MISSING_PROVIDER_RECHECK_MS;
  const createAfterMs = 2 * min + 1_000;
  const nextPollMs = 4 * min;
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
  const since = Date.parse(waiting.lastTransitionTime as string);
  await sleep(Math.max(0, since + createAfterMs - Date.now()));
  const created = Date.now();
  await applyYaml(
    srv,
    `apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: kvm, namespace: ${ns}}
spec: {type: libvirt, uri: "qemu:///system", storagePool: ${env.pool}, storagePoolPath: ${env.poolPath}}
`,
  );
  const reconciled = await waitFor("VM early reconciled past ProviderNotFound", 60_000, async () => {
    const r = await ready("virtualmachines", "early");
    return r && r.reason !== "ProviderNotFound" ? { ...r, at: Date.now() } : undefined;
  }, 50);
  assert.ok(
    reconciled.at < since + nextPollMs,
    `past ProviderNotFound ${reconciled.at - created} ms after the Provider's creation, ${reconciled.at - since} ms after the VM began to wait (its next poll was due at ${nextPollMs} ms): the Provider's creation must wake the VM; server output:\n${srv.output().slice(-4000)}`,
  );
  const stopped = await waitFor("VM early Stopped", 30_000, async () => {
    const r = await ready("virtualmachines", "early");
    return r?.status === "True" ? r : undefined;
  });
  assert.equal(stopped.reason, "Stopped");
});
