// Provider status and inventory through a real server against the vCenter simulator: Ready with a reason that
// names what is wrong (credentials, TLS pin, unreachable), a warning for insecure TLS, inventory with exact disk
// capacities, and the password nowhere in logs, status or API output.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Provider } from "../../src/api/provider.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { api, applyYaml, landfall, resourcePath, waitFor } from "../harness/landfall.ts";
import { startVcsim, type Vcsim, writeRandomContent } from "../harness/vcsim/harness.ts";

const NS = "providers-e2e";
const DISK_BYTES = 3 * (1 << 20);
let vc: Vcsim;
let srv: ServeProcess;
let scratch: string;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "landfall-prov-"));
  const disk = join(scratch, "disk.raw");
  await writeRandomContent(disk, 2 * (1 << 20));
  vc = await startVcsim({ password: `Pw-${randomUUID()}`, vms: [{ name: "DC0_H0_VM0", uuid: randomUUID(), disks: [{ contentPath: disk, capacityBytes: DISK_BYTES }] }] });
  srv = await startServeProcess({ env: { LANDFALL_LOG_LEVEL: "debug" } });
  const provider = (name: string, secret: string, extra: string, endpoint = vc.url) => `---
apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: ${name}, namespace: ${NS}}
spec: {type: vsphere, endpoint: "${endpoint}", credentialsRef: {name: ${secret}}, ${extra}}
`;
  await applyYaml(
    srv,
    `apiVersion: landfall.dev/v1beta1
kind: Secret
metadata: {name: good, namespace: ${NS}}
stringData: {username: ${vc.username}, password: ${vc.password}}
---
apiVersion: landfall.dev/v1beta1
kind: Secret
metadata: {name: wrong, namespace: ${NS}}
stringData: {username: ${vc.username}, password: not-the-password}
${provider("pinned", "good", `tls: {thumbprint: "${vc.thumbprint}"}`)}
${provider("badpass", "wrong", `tls: {thumbprint: "${vc.thumbprint}"}`)}
${provider("badpin", "good", `tls: {thumbprint: "${"00:".repeat(31)}00"}`)}
${provider("insecure", "good", "tls: {insecureSkipVerify: true}")}
${provider("unreachable", "good", "tls: {insecureSkipVerify: true}", "https://127.0.0.1:9/sdk")}`,
  );
});

after(async () => {
  await srv?.stop();
  await vc?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function readyOf(name: string): Promise<{ status: string; reason?: string; message?: string; provider: Provider }> {
  return waitFor(`Provider ${name} to report Ready`, 30_000, async () => {
    const p = (await api<Provider>(srv, resourcePath(NS, "providers", name))).body;
    const c = p.status?.conditions?.find((x) => x.type === "Ready");
    return c ? { status: c.status, reason: c.reason, message: c.message, provider: p } : undefined;
  });
}

test("a pinned, correct provider is Ready (Connected) with an inventory summary", async () => {
  const r = await readyOf("pinned");
  assert.equal(r.status, "True", r.message);
  assert.equal(r.reason, "Connected");
  assert.ok((r.provider.status?.inventory?.vms ?? 0) >= 1);
  assert.equal(r.provider.status?.conditions?.some((c) => c.type === "InsecureTLS"), false);
});

test("wrong password → not Ready, reason names the credentials", async () => {
  const r = await readyOf("badpass");
  assert.equal(r.status, "False");
  assert.equal(r.reason, "InvalidCredentials");
});

test("wrong thumbprint → not Ready, reason names the TLS pin", async () => {
  const r = await readyOf("badpin");
  assert.equal(r.status, "False");
  assert.equal(r.reason, "ThumbprintMismatch");
  assert.ok(r.message?.includes(vc.thumbprint) || r.message?.toLowerCase().includes(vc.thumbprint.toLowerCase()), `message names the presented thumbprint: ${r.message}`);
});

test("insecureSkipVerify connects but carries an InsecureTLS warning condition", async () => {
  const r = await readyOf("insecure");
  assert.equal(r.status, "True");
  assert.equal(r.provider.status?.conditions?.find((c) => c.type === "InsecureTLS")?.status, "True");
});

test("an unreachable endpoint → not Ready (Unreachable), retried, and the server keeps serving", async () => {
  const r = await readyOf("unreachable");
  assert.equal(r.status, "False");
  assert.equal(r.reason, "Unreachable");
  assert.equal((await fetch(`${srv.url}/healthz`)).status, 200);
});

test("inventory lists the simulator's VMs with exact disk capacities (API and CLI)", async () => {
  const out = await landfall(srv, ["inventory", "pinned", "-n", NS, "-o", "json"]);
  assert.equal(out.code, 0, out.stderr);
  const list = JSON.parse(out.stdout) as { kind: string; items: Array<{ name: string; id: string; disks: Array<{ capacityBytes: number; fileName: string }>; nics: unknown[] }> };
  assert.equal(list.kind, "SourceVMList");
  const vm = list.items.find((v) => v.name === "DC0_H0_VM0");
  assert.ok(vm, "DC0_H0_VM0 is listed");
  assert.ok(vm.disks.some((d) => d.capacityBytes === DISK_BYTES && d.fileName.endsWith(".vmdk")), JSON.stringify(vm.disks));
  const table = await landfall(srv, ["inventory", "pinned", "-n", NS]);
  assert.match(table.stdout, /DC0_H0_VM0/);
  const bad = await landfall(srv, ["inventory", "badpass", "-n", NS]);
  assert.notEqual(bad.code, 0);
});

test("the password appears nowhere: not in logs, provider status, or secret lists", async () => {
  await readyOf("pinned");
  await readyOf("badpass");
  const providers = await landfall(srv, ["get", "providers", "-n", NS, "-o", "yaml"]);
  const secrets = await landfall(srv, ["get", "secrets", "-n", NS, "-o", "json"]);
  for (const [where, text] of [["server log", srv.output()], ["providers", providers.stdout], ["secret list", secrets.stdout]] as const) {
    assert.ok(!text.includes(vc.password), `${where} contains the password`);
    assert.ok(!text.includes("not-the-password"), `${where} contains the wrong password`);
  }
});
