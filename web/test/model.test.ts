// Pure dashboard logic, no browser: run with `node --test web/test/` (Node 24 strips the types).
import assert from "node:assert/strict";
import { test } from "node:test";
import { createApiClient, errorFromResponse } from "../src/api/client.ts";
import type { Provider, VirtualMachine, VMMigration } from "../src/api/generated.ts";
import type { TargetInventoryVM } from "../src/api/inventory.ts";
import { adoptableVMs } from "../src/model/adoption.ts";
import { formatBytes, shortChecksum } from "../src/model/format.ts";
import { describeIdentity, type Identity, mayWrite } from "../src/model/identity.ts";
import { progressPercent } from "../src/model/migrations.ts";
import { summarize } from "../src/model/overview.ts";
import { diskSource, guestSummary, isAdopted } from "../src/model/virtual-machines.ts";
import { applyWatchEvent, mergeListSnapshot } from "../src/model/watch-events.ts";

const vm = (name: string, extra: { labels?: Record<string, string>; phase?: string; spec?: Partial<VirtualMachine["spec"]>; rv?: string } = {}) =>
  ({
    apiVersion: "landfall.dev/v1beta1",
    kind: "VirtualMachine",
    metadata: { name, namespace: "default", labels: extra.labels, resourceVersion: extra.rv },
    spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: `${name}-d0`, source: "clone" }, ...extra.spec },
    status: extra.phase ? { phase: extra.phase } : undefined,
  }) as VirtualMachine;

const migration = (phase: string, progress?: { bytesDone: number; bytesTotal: number; percent?: number }) =>
  ({ metadata: { name: "m" }, spec: { source: { providerRef: { name: "s" }, vmName: "x" }, target: { providerRef: { name: "t" } } }, status: { phase, progress } }) as VMMigration;

test("disk source: importedDisk.source, else the image", () => {
  assert.equal(diskSource(vm("a")), "clone");
  assert.equal(diskSource(vm("b", { spec: { importedDisk: undefined, imageRef: { name: "ubuntu-22" } } })), "image ubuntu-22");
});

test("adopted means <prefix>/adopted=true under either prefix", () => {
  const vms = [vm("a", { labels: { "landfall.dev/adopted": "true" } }), vm("b", { labels: { "cozystack.io/adopted": "true", "cozystack.io/original-plan": "p2" } }), vm("c", { labels: { "landfall.dev/adopted": "false" } })];
  assert.deepEqual(vms.map(isAdopted), [true, true, false]);
});

test("progress: percent when written, else bytes; Succeeded is 100", () => {
  assert.equal(progressPercent(migration("Transferring", { bytesDone: 42, bytesTotal: 100 })), 42);
  assert.equal(progressPercent(migration("Transferring", { bytesDone: 1, bytesTotal: 100, percent: 57.6 })), 58);
  assert.equal(progressPercent(migration("Succeeded")), 100);
  assert.equal(progressPercent(migration("Pending")), 0);
});

test("overview counts", () => {
  const ready = { metadata: { name: "p" }, spec: { type: "libvirt" }, status: { conditions: [{ type: "Ready", status: "True" }] } } as Provider;
  const down = { metadata: { name: "q" }, spec: { type: "vsphere" }, status: { conditions: [{ type: "Ready", status: "False" }] } } as Provider;
  const c = summarize([vm("a", { phase: "Running" }), vm("b", { phase: "Stopped", labels: { "landfall.dev/adopted": "true" } }), vm("c", { spec: { powerState: "Off" } })], [migration("Failed"), migration("Failed"), migration("Transferring")], [ready, down]);
  assert.deepEqual(c.vms, { total: 3, running: 1, stopped: 2, other: 0 });
  assert.deepEqual(c.migrationsByPhase, { Failed: 2, Transferring: 1 });
  assert.equal(c.importedVMs, 1);
  assert.deepEqual(c.providers, { ready: 1, notReady: 1 });
});

test("watch events: add, modify, delete; a stale event never overwrites newer state", () => {
  let list = { metadata: { resourceVersion: "5" }, items: [vm("a", { rv: "5" })] };
  list = applyWatchEvent(list, "ADDED", vm("b", { rv: "6" }));
  assert.deepEqual(list.items.map((o) => o.metadata.name), ["a", "b"]);
  assert.equal(list.metadata.resourceVersion, "6");
  list = applyWatchEvent(list, "MODIFIED", vm("a", { rv: "7", phase: "Running" }));
  assert.equal(list.items[0].status?.phase, "Running");
  const stale = applyWatchEvent(list, "MODIFIED", vm("a", { rv: "6", phase: "Stopped" }));
  assert.equal(stale.items[0].status?.phase, "Running");
  list = applyWatchEvent(list, "DELETED", vm("b", { rv: "8" }));
  assert.deepEqual(list.items.map((o) => o.metadata.name), ["a"]);
});

test("a re-read list that answers after a watch event does not put older state back (a stale Ready reason, an unadopted VM)", () => {
  // The list at rv 5; the watch then brought a at rv 9 (Unreachable) and b's deletion at rv 10.
  let cached = { metadata: { resourceVersion: "5" }, items: [vm("a", { rv: "5", phase: "Connected" }), vm("b", { rv: "4" })] };
  cached = applyWatchEvent(cached, "MODIFIED", vm("a", { rv: "9", phase: "Unreachable" }));
  cached = applyWatchEvent(cached, "DELETED", vm("b", { rv: "10" }));
  // A refetch sent before those events answers after them, with the state at rv 8.
  const fresh = { metadata: { resourceVersion: "8" }, items: [vm("a", { rv: "8", phase: "Connected" }), vm("b", { rv: "4" })] };
  const merged = mergeListSnapshot(cached, fresh);
  assert.deepEqual(merged.items.map((o) => `${o.metadata.name}:${o.status?.phase}`), ["a:Unreachable"]);
  assert.equal(merged.metadata.resourceVersion, "10");
  // A newer re-read wins, with what it lists and nothing else.
  const newer = mergeListSnapshot(cached, { metadata: { resourceVersion: "12" }, items: [vm("a", { rv: "11", phase: "Connected" }), vm("c", { rv: "12" })] });
  assert.deepEqual(newer.items.map((o) => `${o.metadata.name}:${o.status?.phase}`), ["a:Connected", "c:undefined"]);
  assert.equal(mergeListSnapshot(undefined, fresh), fresh);
});

test("adoptable: VMs without <prefix>/owner-uid", () => {
  const base = { uuid: "u", state: "running", cpus: 1, memoryMiB: 64, firmware: "bios" };
  const items: TargetInventoryVM[] = [
    { ...base, name: "mine", labels: { "landfall.dev/owner-uid": "x" } },
    { ...base, name: "theirs", labels: { "forklift.konveyor.io/plan": "p" } },
    { ...base, name: "cozy", labels: { "cozystack.io/owner-uid": "y" } },
  ];
  assert.deepEqual(adoptableVMs(items).map((v) => v.name), ["theirs"]);
});

test("API errors keep the Status message and field causes", () => {
  const e = errorFromResponse(422, "Unprocessable Entity", JSON.stringify({ kind: "Status", message: 'VirtualMachine "x" is invalid', reason: "Invalid", details: { causes: [{ field: "spec.cpus", message: "must be >= 1" }] } }));
  assert.equal(e.message, 'VirtualMachine "x" is invalid');
  assert.equal(e.status, 422);
  assert.deepEqual(e.causes, [{ field: "spec.cpus", message: "must be >= 1" }]);
  assert.match(errorFromResponse(502, "Bad Gateway", "<html>").message, /^502 Bad Gateway/);
});

test("formatting", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(2 * 1024 ** 3), "2.0 GiB");
  assert.equal(formatBytes(100 * 1024 ** 2), "100 MiB");
  assert.equal(shortChecksum(`sha256:${"a".repeat(64)}`), `sha256:${"a".repeat(12)}…aaaa`);
});

test("guestSummary: the agent's product name, addresses and state; a silent agent shows why", () => {
  const answered = vm("g1");
  answered.status = { guest: { os: "linux", distro: "debian", version: "12", productName: "Debian GNU/Linux 12 (bookworm)", hostname: "landfall-guest", ipAddresses: ["10.0.2.15"], agentReachable: true } };
  assert.deepEqual(guestSummary(answered), { os: "Debian GNU/Linux 12 (bookworm)", hostname: "landfall-guest", ipAddresses: "10.0.2.15", agent: "answering" });
  const silent = vm("g2");
  silent.status = { guest: { os: "linux", distro: "debian", version: "12", agentReachable: false, message: "no guest agent answered within 10 min" } };
  assert.deepEqual(guestSummary(silent), { os: "debian 12", hostname: undefined, ipAddresses: undefined, agent: "no guest agent answered within 10 min" });
  assert.deepEqual(guestSummary(vm("g3")), {});
});

test("write actions are offered to editors and admins in their namespaces, never to viewers", () => {
  const viewer: Identity = { id: "1", name: "ro", role: "viewer" };
  const tenant: Identity = { id: "2", name: "ta", role: "editor", namespaces: ["tenant-a"] };
  const admin: Identity = { id: "3", name: "root", role: "admin" };
  assert.equal(mayWrite(viewer, "default"), false);
  assert.equal(mayWrite(tenant, "tenant-a"), true);
  assert.equal(mayWrite(tenant, "default"), false);
  assert.equal(mayWrite(admin, "default"), true);
  assert.equal(describeIdentity(tenant), "ta (editor: tenant-a)");
});

test("the API client sends the CSRF header and never a token, in calls or watch URLs", async () => {
  const seen: Array<{ url: string; init?: RequestInit }> = [];
  const client = createApiClient(async (url, init) => {
    seen.push({ url, init });
    return new Response("{}", { status: 200 });
  });
  await client.mergePatch("/apis/x", { a: 1 });
  const headers = seen[0].init?.headers as Record<string, string>;
  assert.equal(headers["x-landfall-csrf"], "1");
  assert.equal(headers.authorization, undefined);
  assert.equal(seen[0].init?.credentials, "same-origin");
  assert.equal(client.watchUrl("/apis/x", "7"), "/apis/x?watch=true&resourceVersion=7");
});
