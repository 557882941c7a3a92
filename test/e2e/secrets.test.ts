// No secret ever leaks: a full migration (real vcsim → libvirt through a real `bin/landfall serve`) driven by a
// tenant token, with a distinctive vCenter password, a distinctive wrong password on a second Provider, a
// distinctive bogus token and a watch that carries the real token in its URL. Afterwards everything landfall
// wrote — the server's stdout/stderr, every file in the data dir (the SQLite database included, where Secrets are
// sealed), events, every object with its status, /metrics, the guest's console log and the domain's XML — is searched for
// each secret, as text and base64. Excluded: only the 0600 files that exist to hold credentials.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { KINDS } from "../../src/api/kinds.ts";
import type { KubeObject } from "../../src/api/meta.ts";
import type { VMMigration } from "../../src/api/vmmigration.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { writeBootDisk } from "../harness/bootdisk.ts";
import { api, applyYaml, landfall, waitFor } from "../harness/landfall.ts";
import { createTempLibvirt, type TempLibvirt, virsh } from "../harness/libvirt.ts";
import { startVcsim, type Vcsim } from "../harness/vcsim/harness.ts";

const MiB = 1 << 20;
const PASSWORD = `Pw-${randomBytes(12).toString("hex")}-Zq!`;
const WRONG_PASSWORD = `Wrong-${randomBytes(12).toString("hex")}`;
const BOGUS_TOKEN = `lf_bogus${randomBytes(16).toString("hex")}`;
/** Files that exist to hold credentials (0600): the admin token, token digests, kubeconfigs, the sealing key. */
const CREDENTIAL_FILES = /^(admin\.token|tokens\.json(\.tmp)?|kubeconfig.*|secret\.key)$/;

let vc: Vcsim;
let lv: TempLibvirt;
let srv: ServeProcess;
let dataDir: string;
let ns: string;
let tenantToken: string;

before(async () => {
  lv = await createTempLibvirt("sec");
  ns = lv.prefix;
  const disk = join(lv.scratchDir, "web01.raw");
  await writeBootDisk(disk, { sizeBytes: 4 * MiB, marker: "landfall secrets e2e", fill: "random" });
  vc = await startVcsim({ username: "lf-secret-user", password: PASSWORD, vms: [{ name: "web01", uuid: randomUUID(), cpus: 1, memoryMiB: 64, powerOn: false, disks: [{ contentPath: disk }] }] });
  dataDir = await mkdtemp(join(tmpdir(), "landfall-e2e-secrets-"));
  srv = await startServeProcess({ dataDir });
  const created = await landfall(srv, ["token", "create", "--role", "editor", "--namespace", ns, "--name", "tenant"]);
  assert.equal(created.code, 0, created.stderr);
  tenantToken = created.stdout.trim();
});

after(async () => {
  await srv?.stop();
  await vc?.stop();
  await lv?.cleanup();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(path)));
    else if (e.isFile() && !CREDENTIAL_FILES.test(e.name)) out.push(path);
  }
  return out;
}

it("a migration run with a tenant token leaves no password or token in logs, files, the database, events, status or console", { timeout: 240_000 }, async () => {
  const tenant = { url: srv.url, adminToken: tenantToken };
  // The tenant writes the credentials; only an admin may create the Providers that use them.
  await applyYaml(
    tenant,
    `apiVersion: landfall.dev/v1beta1
kind: Secret
metadata:
  name: vcenter-creds
  namespace: ${ns}
  # What kubectl's client-side apply writes: the whole manifest, the password included.
  annotations: {kubectl.kubernetes.io/last-applied-configuration: '{"kind":"Secret","stringData":{"password":"${PASSWORD}"}}'}
stringData: {username: ${vc.username}, password: "${PASSWORD}"}
---
apiVersion: landfall.dev/v1beta1
kind: Secret
metadata: {name: wrong-creds, namespace: ${ns}}
stringData: {username: ${vc.username}, password: "${WRONG_PASSWORD}"}
`,
  );
  await applyYaml(
    srv,
    `apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: vcenter, namespace: ${ns}}
spec: {type: vsphere, endpoint: "${vc.url}", credentialsRef: {name: vcenter-creds}, tls: {insecureSkipVerify: true}, tenants: [${ns}]}
---
apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: vcenter-wrong, namespace: ${ns}}
spec: {type: vsphere, endpoint: "${vc.url}", credentialsRef: {name: wrong-creds}, tls: {insecureSkipVerify: true}, tenants: [${ns}]}
---
apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: kvm, namespace: ${ns}}
spec: {type: libvirt, uri: "qemu:///system", storagePool: ${lv.pool}, storagePoolPath: ${lv.poolPath}, tenants: [${ns}]}
`,
  );
  // A rejected token, and a watch whose URL carries the real one: refused (no token is accepted in a URL), and
  // the URL it came in must not be written anywhere either.
  assert.equal((await fetch(`${srv.url}/apis/landfall.dev/v1beta1/namespaces/${ns}/providers`, { headers: { authorization: `Bearer ${BOGUS_TOKEN}` } })).status, 401);
  const watch = new AbortController();
  const watching = await fetch(`${srv.url}/apis/landfall.dev/v1beta1/namespaces/${ns}/vmmigrations?watch=true&access_token=${tenantToken}`, { signal: watch.signal });
  assert.equal(watching.status, 401);

  await applyYaml(
    tenant,
    `apiVersion: landfall.dev/v1beta1
kind: VMMigration
metadata: {name: web01, namespace: ${ns}}
spec:
  source: {providerRef: {name: vcenter}, vmName: web01}
  target: {providerRef: {name: kvm}, vmName: web01, powerOn: true}
`,
  );
  const m = await waitFor("the migration to finish", 180_000, async () => {
    const r = await api<VMMigration>(srv, `/apis/landfall.dev/v1beta1/namespaces/${ns}/vmmigrations/web01`);
    return r.body.status?.phase === "Succeeded" || r.body.status?.phase === "Failed" ? r.body : undefined;
  });
  assert.equal(m.status?.phase, "Succeeded", m.status?.message);
  const wrong = await waitFor("the wrong-password Provider to report", 60_000, async () => {
    const r = await api<KubeObject>(srv, `/apis/landfall.dev/v1beta1/namespaces/${ns}/providers/vcenter-wrong`);
    const ready = (r.body.status as { conditions?: Array<{ type: string; reason?: string }> } | undefined)?.conditions?.find((c) => c.type === "Ready");
    return ready?.reason && ready.reason !== "Pending" ? ready : undefined;
  });
  assert.equal(wrong.reason, "InvalidCredentials", "the wrong password was really tried");
  watch.abort();

  const haystacks: Array<{ where: string; text: Buffer }> = [{ where: "server stdout/stderr", text: Buffer.from(srv.output()) }];
  for (const path of await filesUnder(dataDir)) haystacks.push({ where: path, text: await readFile(path) });
  assert.ok(
    haystacks.some((h) => h.where.endsWith("landfall.db")),
    "the database is searched",
  );
  assert.ok(
    haystacks.some((h) => h.where.includes("/console/")),
    "the guest's console log is searched",
  );
  for (const info of KINDS) {
    const list = await api<{ items: KubeObject[] }>(srv, `/${info.core ? "api/v1" : "apis/landfall.dev/v1beta1"}/namespaces/${ns}/${info.plural}`);
    for (const obj of list.body.items) {
      if (info.kind !== "Secret") {
        const one = await api(srv, `/apis/landfall.dev/v1beta1/namespaces/${ns}/${info.plural}/${obj.metadata.name}`);
        haystacks.push({ where: `${info.kind} ${obj.metadata.name}`, text: Buffer.from(JSON.stringify(one.body)) });
      }
      haystacks.push({ where: `${info.kind} ${obj.metadata.name} (list)`, text: Buffer.from(JSON.stringify(obj)) });
      const events = await api(srv, `/apis/landfall.dev/v1beta1/namespaces/${ns}/${info.plural}/${obj.metadata.name}/events`);
      haystacks.push({ where: `events of ${info.kind} ${obj.metadata.name}`, text: Buffer.from(JSON.stringify(events.body)) });
    }
  }
  haystacks.push({ where: "/metrics", text: Buffer.from(await (await fetch(`${srv.url}/metrics`)).text()) });
  haystacks.push({ where: "domain XML", text: Buffer.from(await virsh(["dumpxml", `${ns}--web01`])) });

  const secrets = { password: PASSWORD, "wrong password": WRONG_PASSWORD, "tenant token": tenantToken, "admin token": srv.adminToken, "bogus token": BOGUS_TOKEN };
  const leaks: string[] = [];
  for (const [what, value] of Object.entries(secrets)) {
    for (const form of [value, Buffer.from(value).toString("base64")]) {
      for (const h of haystacks) if (h.text.includes(form)) leaks.push(`${what} (${form === value ? "clear" : "base64"}) in ${h.where}`);
    }
  }
  assert.deepEqual(leaks, []);
  // The search can fail: an admin reading the Secret by name is shown its value, and the search finds it there.
  const revealed = Buffer.from(JSON.stringify((await api(srv, `/api/v1/namespaces/${ns}/secrets/vcenter-creds`)).body));
  assert.ok(revealed.includes(Buffer.from(PASSWORD).toString("base64")) || revealed.includes(PASSWORD), "the password is found where it is meant to be");
});
