// The dashboard's planning and fleet-scale logic without a browser: field errors sorted to fields, the
// Provider form's objects, the wizard's checks and objects, the review YAML, windowing and paged watches.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiRequestError } from "../src/api/client.ts";
import type { SourceInventoryVM } from "../src/api/inventory.ts";
import { sortFieldErrors } from "../src/model/field-errors.ts";
import { type MigrationPlanValues, PLAN_FIELDS, planProblems, plannedObject, prefillNetworkMap, prefillStorageMap, retryOf, suggestName } from "../src/model/migration-plan.ts";
import { phaseSpans } from "../src/model/migrations.ts";
import { applyWatchEventToPages, compareObjects, flattenPages } from "../src/model/paged-list.ts";
import { emptyProviderForm, PROVIDER_FORM_FIELDS, providerEdit, providerFormFromProvider, providerObjects, trustThumbprintPatch } from "../src/model/provider-form.ts";
import type { Provider, VirtualMachine, VMMigration } from "../src/api/generated.ts";
import { adoptedRow, adoptedSelectors, applyImportedEvent, type ImportedVMList, recordOf } from "../src/model/imported-vms.ts";
import { needsMore, rowWindow } from "../src/model/windowing.ts";
import { toYaml } from "../src/model/yaml.ts";
import { canCutOver, cutoverPatch, supportsWarm } from "../src/model/warm.ts";

test("field errors go to the field whose path they name (or lie under); the rest are general", () => {
  const err = new ApiRequestError(422, "Provider \"x\" is invalid", "Invalid", [
    { field: "spec.endpoint", message: "must match format uri" },
    { field: "spec.tls.thumbprint", message: "too short" },
    { field: "spec.datacenter", message: "unknown" },
    { message: "no field" },
  ]);
  const sorted = sortFieldErrors(err, PROVIDER_FORM_FIELDS);
  assert.deepEqual(sorted.byField, { endpoint: ["must match format uri"], thumbprint: ["too short"] });
  assert.deepEqual(sorted.general, ["spec.datacenter: unknown", "no field"]);
  // "spec.uri" must not claim "spec.uriExtra": only the path itself or what lies under it.
  assert.deepEqual(sortFieldErrors(new ApiRequestError(422, "m", "Invalid", [{ field: "spec.uriExtra", message: "x" }]), PROVIDER_FORM_FIELDS).byField, {});
  // An error without causes is shown whole.
  assert.deepEqual(sortFieldErrors(new Error("network down"), PROVIDER_FORM_FIELDS), { byField: {}, general: ["network down"] });
  assert.deepEqual(sortFieldErrors(null, PROVIDER_FORM_FIELDS), { byField: {}, general: [] });
});

test("the Provider form writes a Secret with the credentials and a Provider referencing it", () => {
  const v = { ...emptyProviderForm("ops"), name: " vc ", endpoint: "https://vc/sdk", username: "admin", password: "p w", thumbprint: "AA:BB", transport: "nfc" as const };
  const { secret, provider } = providerObjects(v);
  assert.deepEqual(secret, { apiVersion: "landfall.dev/v1beta1", kind: "Secret", metadata: { name: "vc-credentials", namespace: "ops" }, stringData: { username: "admin", password: "p w" } });
  assert.deepEqual(provider.spec, { type: "vsphere", endpoint: "https://vc/sdk", tls: { thumbprint: "AA:BB" }, transport: "nfc", credentialsRef: { name: "vc-credentials" } });
  // libvirt without a username needs no Secret.
  const lv = providerObjects({ ...emptyProviderForm("ops"), type: "libvirt", name: "kvm", storagePool: "p", storagePoolPath: "/var/p" });
  assert.equal(lv.secret, undefined);
  assert.deepEqual(lv.provider.spec, { type: "libvirt", uri: "qemu:///system", storagePool: "p", storagePoolPath: "/var/p" });
  assert.deepEqual(trustThumbprintPatch("CC:DD"), { spec: { tls: { thumbprint: "CC:DD", insecureSkipVerify: null } } });
});

test("editing a Provider: blank credentials keep the Secret, a new password patches just it, cleared fields become null", () => {
  const vc = {
    apiVersion: "landfall.dev/v1beta1",
    kind: "Provider",
    metadata: { name: "vc", namespace: "ops", resourceVersion: "7" },
    spec: { type: "vsphere", endpoint: "https://vc/sdk", credentialsRef: { name: "vc-creds" }, tls: { thumbprint: "AA:BB" }, transport: "nfc", allowedStoragePaths: ["/x"] },
  } as Provider;
  const form = providerFormFromProvider(vc);
  assert.equal(form.endpoint, "https://vc/sdk");
  assert.equal(form.thumbprint, "AA:BB");
  assert.equal(form.username, "");
  assert.equal(form.password, "", "credentials are never read back");
  const unchanged = providerEdit(vc, form);
  assert.equal(unchanged.secret, undefined, "blank credentials keep the stored ones");
  assert.deepEqual(unchanged.providerPatch.spec, { endpoint: "https://vc/sdk", tls: { thumbprint: "AA:BB", insecureSkipVerify: null }, transport: "nfc", tenants: null });
  const edited = providerEdit(vc, { ...form, endpoint: " https://vc2/sdk ", thumbprint: "", transport: "", password: "new pw", tenants: "team-a, team-b  team-c" });
  assert.deepEqual(edited.secret, { patch: { name: "vc-creds", stringData: { password: "new pw" } } });
  assert.deepEqual(edited.providerPatch.spec, { endpoint: "https://vc2/sdk", tls: null, transport: null, tenants: ["team-a", "team-b", "team-c"] });
  // A libvirt Provider without credentials gets a new Secret and a credentialsRef when a username is set.
  const kvm = { apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name: "kvm", namespace: "ops" }, spec: { type: "libvirt", uri: "qemu:///system", storagePool: "p" } } as Provider;
  const withUser = providerEdit(kvm, { ...providerFormFromProvider(kvm), username: "root", storagePool: "" });
  assert.deepEqual(withUser.secret, { create: { apiVersion: "landfall.dev/v1beta1", kind: "Secret", metadata: { name: "kvm-credentials", namespace: "ops" }, stringData: { username: "root" } } });
  assert.deepEqual(withUser.providerPatch.spec, { uri: "qemu:///system", storagePool: null, storagePoolPath: null, tenants: null, credentialsRef: { name: "kvm-credentials" } });
  assert.deepEqual(sortFieldErrors(new ApiRequestError(422, "m", "Invalid", [{ field: "spec.tenants[0]", message: "not a name" }]), PROVIDER_FORM_FIELDS).byField, { tenants: ["not a name"] });
});

const vm = (name: string, networks: string[], datastores: string[], power = "poweredOn"): SourceInventoryVM => ({
  name,
  id: `vm-${name}`,
  powerState: power,
  guestOS: "debian12_64Guest",
  cpus: 1,
  memoryMiB: 64,
  nics: networks.map((network, i) => ({ network, macAddress: `00:00:00:00:00:0${i}`, model: "vmxnet3" })),
  disks: datastores.map((datastore, i) => ({ key: i, label: `Hard disk ${i}`, fileName: `[${datastore}] ${name}/${name}.vmdk`, capacityBytes: 1 << 20, datastore, controller: "scsi" })),
});

const plan = (over: Partial<MigrationPlanValues> = {}): MigrationPlanValues => ({
  namespace: "ops",
  sourceProvider: "vc",
  targetProvider: "kvm",
  name: "web01",
  targetNames: {},
  networkMap: [{ source: "VM Network", target: "user" }],
  storageMap: [{ source: "ds1", target: "pool" }],
  mode: "cold",
  precopyInterval: "",
  cutoverAt: "",
  diskFormat: "qcow2",
  powerOn: true,
  verifyChecksums: true,
  bandwidthMiBps: "",
  ...over,
});

test("maps are pre-filled with every network and datastore the VMs use, once each", () => {
  const vms = [vm("a", ["VM Network", "DMZ"], ["ds1"]), vm("b", ["VM Network"], ["ds2", "ds1"])];
  assert.deepEqual(prefillNetworkMap(vms, "user"), [{ source: "DMZ", target: "user" }, { source: "VM Network", target: "user" }]);
  assert.deepEqual(prefillStorageMap(vms, "pool"), [{ source: "ds1", target: "pool" }, { source: "ds2", target: "pool" }]);
  assert.equal(suggestName("Web 01_Prod"), "web-01-prod");
  assert.equal(suggestName("___"), "vm");
});

test("the wizard refuses bad names, unmapped networks and datastores, and a bandwidth that is not a number", () => {
  const vms = [vm("web01", ["VM Network"], ["ds1"])];
  assert.deepEqual(planProblems(plan(), vms), {});
  const bad = planProblems(plan({ name: "Web01", targetProvider: "", networkMap: [{ source: "VM Network", target: " " }], storageMap: [], bandwidthMiBps: "2.5" }), vms);
  assert.deepEqual(Object.keys(bad).sort(), ["bandwidthMiBps", "name", "networkMap", "storageMap", "targetProvider"]);
  assert.match(bad.networkMap, /VM Network/);
  assert.match(bad.storageMap, /ds1/);
  const two = [vm("a", [], []), vm("b", [], [])];
  assert.match(planProblems(plan({ networkMap: [], storageMap: [], targetNames: { a: "a", b: "B!" } }), two).targetNames, /b/);
});

test("one VM becomes a VMMigration with its options; several become a VMImport", () => {
  const one = plannedObject(plan({ bandwidthMiBps: "4" }), [vm("web01", ["VM Network"], ["ds1"])]);
  assert.equal(one.plural, "vmmigrations");
  assert.deepEqual(JSON.parse(JSON.stringify(one.object.spec)), {
    source: { providerRef: { name: "vc" }, vmName: "web01" },
    target: { providerRef: { name: "kvm" }, vmName: "web01", powerOn: true, networkMap: [{ source: "VM Network", target: "user" }], storageMap: [{ source: "ds1", target: "pool" }] },
    options: { mode: "cold", diskFormat: "qcow2", verifyChecksums: true, bandwidthMiBps: 4 },
  });
  const many = plannedObject(plan({ name: "wave1", targetNames: { a: "a1", b: "b1" } }), [vm("a", [], []), vm("b", [], [])]);
  assert.equal(many.plural, "vmimports");
  assert.equal(many.object.kind, "VMImport");
  assert.deepEqual(many.object.spec.vms, [{ name: "a", targetName: "a1" }, { name: "b", targetName: "b1" }]);
  const failed = { metadata: { name: "web01", namespace: "ops", uid: "u1", resourceVersion: "9" }, spec: { source: { vmName: "x" } }, status: { phase: "Failed" } };
  assert.deepEqual(retryOf(failed, "web01-2"), { apiVersion: "landfall.dev/v1beta1", kind: "VMMigration", metadata: { name: "web01-2", namespace: "ops" }, spec: { source: { vmName: "x" } } });
});

test("warm: precopy interval and cutover time are checked and reach the VMMigration; several VMs cannot go warm", () => {
  const one = [vm("web01", ["VM Network"], ["ds1"])];
  const warm = plan({ mode: "warm", precopyInterval: "30s", cutoverAt: "2026-12-01T10:00:00Z" });
  assert.deepEqual(planProblems(warm, one), {});
  const spec = plannedObject(warm, one).object.spec as { cutover?: string; options: Record<string, unknown> };
  assert.equal(spec.cutover, "2026-12-01T10:00:00.000Z");
  assert.equal(spec.options.mode, "warm");
  assert.equal(spec.options.precopyInterval, "30s");
  // Cold ignores the warm fields even if they were typed before switching mode.
  const cold = plannedObject({ ...warm, mode: "cold" }, one).object.spec as { cutover?: string; options: Record<string, unknown> };
  assert.equal(cold.cutover, undefined);
  assert.equal(cold.options.precopyInterval, undefined);
  const bad = planProblems(plan({ mode: "warm", precopyInterval: "10 minutes", cutoverAt: "tomorrow", targetNames: { a: "a", b: "b" } }), [vm("a", [], []), vm("b", [], [])]);
  assert.deepEqual(Object.keys(bad).sort(), ["cutoverAt", "mode", "precopyInterval"]);
  assert.deepEqual(sortFieldErrors(new ApiRequestError(422, "m", "Invalid", [{ field: "spec.options.precopyInterval", message: "pattern" }]), PLAN_FIELDS).byField, { precopyInterval: ["pattern"] });
});

test("cutover: only a running warm migration whose cutover has not started; the patch is spec.cutover in UTC seconds", () => {
  const m = (over: Record<string, unknown>, status: Record<string, unknown> = { phase: "Precopying" }) =>
    ({ metadata: { name: "w" }, spec: { source: { providerRef: { name: "vc" } }, target: { providerRef: { name: "kvm" } }, options: { mode: "warm" }, ...over }, status }) as unknown as VMMigration;
  assert.equal(canCutOver(m({})), true);
  assert.equal(canCutOver(m({ options: { mode: "cold" } })), false);
  assert.equal(canCutOver(m({}, { phase: "CuttingOver", cutover: { startedAt: "2026-01-01T00:00:00Z" } })), false);
  assert.equal(canCutOver(m({}, { phase: "Succeeded" })), false);
  assert.deepEqual(cutoverPatch(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678))), { spec: { cutover: "2026-01-02T03:04:05Z" } });
  assert.equal(supportsWarm("vsphere"), true);
  assert.equal(supportsWarm("libvirt"), false);
});

test("the review YAML quotes what YAML would misread (keys too) and nests lists of objects", () => {
  const y = toYaml({ kind: "VMMigration", metadata: { name: "web01" }, spec: { map: [{ source: "VM Network", target: "user" }], on: true, n: 2, s: "true", e: [], skip: undefined } });
  assert.equal(y, 'kind: VMMigration\nmetadata:\n  name: web01\nspec:\n  map:\n    - source: "VM Network"\n      target: user\n  "on": true\n  "n": 2\n  s: "true"\n  e: []\n');
});

test("phase spans last until the next phase, the current one until now, a terminal one has none", () => {
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  const spans = phaseSpans([{ phase: "Validating", enteredAt: t(0) }, { phase: "Transferring", enteredAt: t(2) }], Date.parse(t(12)));
  assert.deepEqual(spans.map((s) => s.seconds), [2, 10]);
  assert.equal(phaseSpans([{ phase: "Succeeded", enteredAt: t(0) }], Date.parse(t(5)))[0].seconds, undefined);
});

test("the row window covers the viewport plus overscan and keeps the height of the rest", () => {
  assert.deepEqual(rowWindow(0, 400, 40, 10_000, 5), { start: 0, end: 15, padTop: 0, padBottom: (10_000 - 15) * 40 });
  const mid = rowWindow(40_000, 400, 40, 10_000, 5);
  assert.deepEqual(mid, { start: 995, end: 1015, padTop: 995 * 40, padBottom: (10_000 - 1015) * 40 });
  // Scrolled past the end (the list shrank): the window stays inside the list.
  const past = rowWindow(1_000_000, 400, 40, 100, 5);
  assert.ok(past.start <= past.end && past.end === 100 && past.padBottom === 0);
  assert.deepEqual(rowWindow(0, 400, 40, 0, 5), { start: 0, end: 0, padTop: 0, padBottom: 0 });
  // Moving in blocks of 20 rows: anywhere inside one block gives the same window, and it covers the viewport.
  const a = rowWindow(20 * 40, 400, 40, 10_000, 5, 20);
  const b = rowWindow(39 * 40 + 39, 400, 40, 10_000, 5, 20);
  assert.deepEqual(a, b);
  assert.ok(b.start <= 39 && b.end >= 39 + 10, `rows 39..49 are in view but the window is ${b.start}..${b.end}`);
  assert.equal(needsMore(mid, 1100, 100), true);
  assert.equal(needsMore(mid, 5000, 100), false);
});

type Obj = { metadata: { name: string; namespace: string; resourceVersion: string }; v?: number };
const o = (name: string, rv: string, v?: number): Obj => ({ metadata: { name, namespace: "ns", resourceVersion: rv }, v });
const pages = (...ps: Array<{ items: Obj[]; continue?: string }>) => ps.map((p) => ({ metadata: { resourceVersion: "10", ...(p.continue ? { continue: p.continue } : {}) }, items: p.items }));

test("watch events change the loaded page that holds the object, or the page its key falls into", () => {
  const loaded = pages({ items: [o("a", "1"), o("c", "1")], continue: "t1" }, { items: [o("e", "1"), o("g", "1")], continue: "t2" });
  // MODIFIED in place, other pages untouched (same object identity).
  const modified = applyWatchEventToPages(loaded, "MODIFIED", o("e", "11", 7));
  assert.equal(modified[0], loaded[0]);
  assert.equal(modified[1].items[0].v, 7);
  // An older event than what is cached is ignored.
  assert.equal(applyWatchEventToPages(modified, "MODIFIED", o("e", "5", 1))[1].items[0].v, 7);
  // ADDED inside a loaded page's range goes there, in server order.
  assert.deepEqual(flattenPages(applyWatchEventToPages(loaded, "ADDED", o("b", "12"))).map((x) => x.metadata.name), ["a", "b", "c", "e", "g"]);
  // ADDED beyond what is loaded, with more pages to come: it arrives with a later page, not twice.
  assert.deepEqual(flattenPages(applyWatchEventToPages(loaded, "ADDED", o("z", "12"))).map((x) => x.metadata.name), ["a", "c", "e", "g"]);
  // ...but when the list is complete, it is appended.
  const complete = pages({ items: [o("a", "1")] });
  assert.deepEqual(flattenPages(applyWatchEventToPages(complete, "ADDED", o("z", "12"))).map((x) => x.metadata.name), ["a", "z"]);
  assert.deepEqual(flattenPages(applyWatchEventToPages(loaded, "DELETED", o("c", "13"))).map((x) => x.metadata.name), ["a", "e", "g"]);
  // Byte order, as the server sorts: "B" < "a".
  assert.ok(compareObjects(o("B", "1"), o("a", "1")) < 0);
});

test("Imported VMs: a row's plan is its label, else its record's; an event keeps a VM only while it matches plan and source type", () => {
  const vm = (name: string, labels: Record<string, string>, rv: string) => ({ metadata: { name, namespace: "ns", labels, resourceVersion: rv }, spec: { providerRef: { name: "kvm" } } }) as VirtualMachine;
  const a = vm("a", { "landfall.dev/adopted": "true" }, "1");
  const b = vm("b", { "cozystack.io/adopted": "true", "cozystack.io/original-plan": "wave-2" }, "2");
  const page: ImportedVMList = { kind: "ImportedVMList", metadata: { resourceVersion: "2" }, items: [a, b], records: { "ns/a": { sourcePlan: "wave-1", sourceType: "vmware" }, "ns/b": { sourcePlan: "old", sourceType: "forklift" } } };
  assert.deepEqual(
    [a, b].map((x) => adoptedRow(x, recordOf([page], x)).sourcePlan),
    ["wave-1", "wave-2"],
  );
  const names = (pages: ImportedVMList[]) => pages.flatMap((p) => p.items.map((x) => x.metadata.name));
  const wave1 = { labelSelector: "", plan: "wave-1", sourceType: "" };
  // b's phase changes: it does not match plan wave-1, so it leaves; a's change stays, with its record.
  const changed = applyImportedEvent([page], "MODIFIED", { ...b, metadata: { ...b.metadata, resourceVersion: "3" } }, wave1);
  assert.deepEqual(names(changed), ["a"]);
  const a2 = { ...a, metadata: { ...a.metadata, resourceVersion: "4" }, status: { phase: "Running" } } as VirtualMachine;
  const kept = applyImportedEvent(changed, "MODIFIED", a2, wave1);
  assert.equal(kept[0].items[0].status?.phase, "Running");
  assert.deepEqual(kept[0].records["ns/a"], { sourcePlan: "wave-1", sourceType: "vmware" }, "the page keeps its records");
  // A new adoption has no record yet: it shows under no source type filter, and not under one.
  const c = vm("c", { "landfall.dev/adopted": "true", "landfall.dev/original-plan": "wave-1" }, "5");
  assert.deepEqual(names(applyImportedEvent([page], "ADDED", c, { labelSelector: "", plan: "", sourceType: "" })), ["a", "b", "c"]);
  assert.deepEqual(names(applyImportedEvent([page], "ADDED", c, { labelSelector: "", plan: "", sourceType: "vmware" })), ["a", "b"]);
  assert.deepEqual(adoptedSelectors("team=web"), ["landfall.dev/adopted=true,team=web", "cozystack.io/adopted=true,team=web"]);
});
