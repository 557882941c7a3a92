// The dashboard plans and runs a real migration: from an empty server, Chromium (playwright-core) adds the
// vCenter (govmomi's simulator) and libvirt Providers through the form, trusts the vCenter's certificate after
// a ThumbprintMismatch, picks a VM in the inventory, runs the Migrate wizard, watches the real migration's
// progress (throttled by options.bandwidthMiBps) reach Succeeded, opens the VM (same sha256 as the API),
// stops and starts it (checked in libvirt), and adopts (after the server's dry-run preview) then unadopts a domain
// defined by hand.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Locator, Page } from "playwright-core";
import type { KubeObject } from "../../src/api/meta.ts";
import type { VirtualMachine } from "../../src/api/virtualmachine.ts";
import type { VMMigration } from "../../src/api/vmmigration.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { api, resourcePath, waitFor } from "../harness/landfall.ts";
import { launchChromium } from "../harness/chromium.ts";
import { createTempLibvirt, type TempLibvirt, virsh } from "../harness/libvirt.ts";
import { startVcsim, type Vcsim, writeRandomContent } from "../harness/vcsim/harness.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SHOTS = process.env.LANDFALL_SCREENSHOTS ?? join(ROOT, "test-results/dashboard-migrate");
const MiB = 1 << 20;
/** Two 8 MiB disks read one after the other at 2 MiB/s: about 4 s at 50% between them. */
const DISK_BYTES = 8 * MiB;
const BANDWIDTH_MIBPS = 2;

let vc: Vcsim;
let lv: TempLibvirt;
let srv: ServeProcess;
let context: BrowserContext;
let page: Page;
let profileDir: string;
let ns: string;
const hand = { name: "", uuid: randomUUID() };
/** Where landfall keeps a domain's labels in its libvirt metadata. */
const LABELS_NS = "https://landfall.dev/xmlns/v1";
const domainLabels = async (domain: string): Promise<string> => virsh(["metadata", domain, LABELS_NS]).catch((e: Error) => e.message);

const text = async (l: Locator): Promise<string> => (await l.textContent()) ?? "";

async function shot(name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

const nav = async (title: string) => {
  await page.getByRole("link", { name: title, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: title }).waitFor();
};

before(async () => {
  assert.ok(existsSync(join(ROOT, "web/dist/index.html")), "web/dist is missing: run scripts/build-web.sh");
  lv = await createTempLibvirt("dash");
  ns = lv.prefix;
  hand.name = `${ns}--handmade`;
  const disks = [join(lv.scratchDir, "web01-0.raw"), join(lv.scratchDir, "web01-1.raw")];
  for (const d of disks) await writeRandomContent(d, DISK_BYTES);
  vc = await startVcsim({ vms: [{ name: "web01", cpus: 1, memoryMiB: 64, powerOn: true, disks: disks.map((contentPath) => ({ contentPath, capacityBytes: DISK_BYTES })), nics: [{ network: "VM Network", model: "vmxnet3" }] }] });
  // One transfer at a time (`--max-transfers 1`): the two disks go one after the other, so the bar stops at 50 %.
  srv = await startServeProcess({ args: ["--max-transfers", "1"] });
  profileDir = await mkdtemp(join(tmpdir(), "landfall-chromium-"));
  ({ context, page } = await launchChromium(profileDir));
  page.setDefaultTimeout(15_000);
  await page.goto(`${srv.url}/providers`);
  await page.getByLabel("API token").fill(srv.adminToken);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { level: 1, name: "Providers" }).waitFor();
});

after(async () => {
  // The page as the last test left it: what a failure looked like.
  if (page) await shot("last").catch(() => undefined);
  await context?.close();
  await srv?.stop();
  await vc?.stop();
  await lv?.cleanup();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
});

/** Opens "Add provider" and fills the fields common to both types. */
async function openProviderForm(type: "vsphere" | "libvirt", name: string): Promise<Locator> {
  await page.getByRole("button", { name: "Add provider" }).click();
  const form = page.getByTestId("provider-form");
  await form.locator("#provider-type").selectOption(type);
  await form.locator("#provider-name").fill(name);
  await form.locator("#provider-namespace").fill(ns);
  return form;
}

test("add the vCenter: a field error shows next to its field, ThumbprintMismatch offers the server's thumbprint, trusting it connects", async () => {
  let form = await openProviderForm("vsphere", "vcenter");
  await form.locator("#provider-username").fill(vc.username);
  await form.locator("#provider-password").fill(vc.password);
  await form.locator("#provider-endpoint").fill("not a url");
  await form.getByRole("button", { name: "Create" }).click();
  const fieldError = form.getByTestId("field-error-provider-endpoint");
  await fieldError.waitFor();
  assert.match(await text(fieldError), /uri|format/i);
  await shot("provider-field-error");
  // The refused Provider left no Secret behind.
  assert.equal((await api(srv, resourcePath(ns, "secrets", "vcenter-credentials"))).status, 404);

  await form.locator("#provider-endpoint").fill(vc.url);
  await form.locator("#provider-thumbprint").fill(Array(32).fill("00").join(":"));
  await form.getByRole("button", { name: "Create" }).click();
  await form.waitFor({ state: "detached" });
  // The password went into the Secret and is nowhere on the page.
  const secret = await api<{ stringData?: Record<string, string>; data?: Record<string, string> }>(srv, resourcePath(ns, "secrets", "vcenter-credentials"));
  assert.equal(secret.status, 200);
  assert.ok(!(await page.content()).includes(vc.password), "the password is shown on the page");

  const reason = page.getByTestId("provider-reason-vcenter");
  await waitFor("ThumbprintMismatch", 20_000, async () => ((await text(reason)) === "ThumbprintMismatch" ? true : undefined));
  const offered = page.getByTestId("thumbprint-vcenter");
  assert.ok((await text(offered)).includes(vc.thumbprint), `the server's thumbprint ${vc.thumbprint} is not offered: ${await text(offered)}`);
  await shot("provider-thumbprint-mismatch");
  await offered.getByRole("button", { name: "Trust thumbprint of vcenter" }).click();
  await waitFor("Connected", 20_000, async () => ((await text(reason)) === "Connected" ? true : undefined));
  const provider = await api<{ spec: { tls?: { thumbprint?: string } } }>(srv, resourcePath(ns, "providers", "vcenter"));
  assert.equal(provider.body.spec.tls?.thumbprint, vc.thumbprint);

  await page.getByRole("button", { name: "Test connection vcenter" }).click();
  const result = page.getByTestId("connection-result-vcenter");
  await result.waitFor();
  const inventory = await api<{ items: unknown[] }>(srv, `${resourcePath(ns, "providers", "vcenter")}/vms`);
  assert.equal(await text(result), `Success alert:Connected: ${inventory.body.items.length} VMs (Ready reason: Connected)`);

  form = await openProviderForm("libvirt", "kvm");
  await form.locator("#provider-uri").fill("qemu:///system");
  await form.locator("#provider-pool").fill(lv.pool);
  await form.locator("#provider-pool-path").fill(lv.poolPath);
  await form.getByRole("button", { name: "Create" }).click();
  await form.waitFor({ state: "detached" });
  await waitFor("kvm Connected", 20_000, async () => ((await text(page.getByTestId("provider-reason-kvm"))) === "Connected" ? true : undefined));
  await shot("providers");
});

test("the inventory shows the VM's disks and networks; the wizard pre-fills and checks the maps, shows the YAML and creates the VMMigration", async () => {
  await nav("Inventory");
  const row = page.getByTestId("inventory-row-web01");
  await row.waitFor();
  assert.match(await text(row), /poweredOn[\s\S]*2 · 16 MiB[\s\S]*VM Network/);
  await row.getByRole("button", { name: "Details" }).click();
  const details = page.getByTestId("inventory-details-web01");
  assert.match(await text(details), /8\.0 MiB[\s\S]*datastore/);
  // The search runs on the server (over its cached read of the vCenter) once typing pauses.
  await page.getByRole("textbox", { name: "Search VMs" }).fill("nothing-matches");
  await row.waitFor({ state: "detached" });
  assert.match(await text(page.getByTestId("inventory-count")), /^0 VMs match/);
  await page.getByRole("textbox", { name: "Search VMs" }).fill("web");
  await row.waitFor();
  await shot("inventory");

  await row.getByRole("checkbox").check();
  await page.getByRole("button", { name: "Migrate (1)" }).click();
  const wizard = page.getByTestId("migrate-wizard");
  await wizard.locator("#wizard-name").fill("Web01");
  assert.match(await text(wizard.getByTestId("field-error-wizard-name")), /not a valid name/);
  await wizard.locator("#wizard-name").fill("web01");
  await wizard.getByRole("button", { name: "Next" }).click();
  const netTarget = wizard.getByLabel("Network map: target for VM Network");
  assert.equal(await netTarget.inputValue(), "user", "the network map is pre-filled from the inventory");
  await netTarget.fill("");
  assert.match(await text(wizard.getByTestId("field-error-wizard-network-map")), /VM Network/);
  await netTarget.fill("user");
  await wizard.getByRole("button", { name: "Next" }).click();
  await wizard.locator("#wizard-bandwidth").fill(String(BANDWIDTH_MIBPS));
  await wizard.getByRole("button", { name: "Next" }).click();
  const yaml = await text(wizard.getByTestId("review-yaml"));
  for (const want of ["kind: VMMigration", `namespace: ${ns}`, "vmName: web01", "bandwidthMiBps: 2", `source: "VM Network"`, "target: user", "name: kvm", `target: ${lv.pool}`]) assert.ok(yaml.includes(want), `review YAML lacks ${want}:\n${yaml}`);
  await shot("wizard-review");
  await wizard.getByRole("button", { name: "Create" }).click();
  await page.getByRole("heading", { level: 1, name: "Migrations" }).waitFor();
  const m = await api<VMMigration>(srv, resourcePath(ns, "vmmigrations", "web01"));
  assert.equal(m.status, 200);
  assert.equal(m.body.spec.options?.bandwidthMiBps, BANDWIDTH_MIBPS);
  assert.deepEqual(m.body.spec.target.networkMap, [{ source: "VM Network", target: "user" }]);
});

test("the real migration's progress bar advances to Succeeded; the VM shows the sha256 the API reports; stop and start reach libvirt", async () => {
  const bar = page.getByTestId("migration-progress-web01").getByRole("progressbar");
  const seen = new Set<number>();
  await waitFor("Succeeded on the page", 90_000, async () => {
    seen.add(Number(await bar.getAttribute("aria-valuenow")));
    return (await text(page.getByTestId("migration-row-web01"))).includes("Succeeded") ? true : undefined;
  }, 200);
  const between = [...seen].filter((p) => p > 0 && p < 100);
  assert.ok(between.length >= 1, `the bar never showed progress between 0 and 100: ${[...seen]}`);
  assert.equal(await bar.getAttribute("aria-valuenow"), "100");
  await page.getByTestId("migration-row-web01").getByRole("button", { name: "Details" }).click();
  const details = page.getByTestId("migration-details-web01");
  assert.match(await text(details), /equal/);
  assert.match(await text(page.getByTestId("migration-timeline-web01")), /Transferring[\s\S]*Succeeded/);
  await shot("migration-succeeded");

  const m = (await api<VMMigration>(srv, resourcePath(ns, "vmmigrations", "web01"))).body;
  const sum = m.status?.disks?.[0]?.sha256 as string;
  assert.match(sum, /^sha256:[0-9a-f]{64}$/);
  await page.getByTestId("migration-vm-link-web01").click();
  const vmDetails = page.getByTestId("vm-details");
  await vmDetails.waitFor();
  assert.ok((await text(vmDetails)).includes(sum), `the VM page does not show ${sum}: ${await text(vmDetails)}`);
  await shot("vm-details");

  const domain = `${ns}--web01`;
  await waitFor("web01 Running", 30_000, async () => ((await api<VirtualMachine>(srv, resourcePath(ns, "virtualmachines", "web01"))).body.status?.phase === "Running" ? true : undefined));
  // The guest has no OS to answer an ACPI shutdown: a 1 s grace before the hard power-off keeps the test short.
  const patched = await api(srv, resourcePath(ns, "virtualmachines", "web01"), {
    method: "PATCH",
    headers: { "content-type": "application/merge-patch+json" },
    body: JSON.stringify({ metadata: { annotations: { "landfall.dev/shutdown-grace-seconds": "1" } } }),
  });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  await page.getByRole("button", { name: "Stop web01", exact: true }).first().click();
  await waitFor("domain shut off", 30_000, async () => ((await virsh(["domstate", domain])).trim() === "shut off" ? true : undefined));
  await page.getByRole("button", { name: "Start web01", exact: true }).first().click();
  await waitFor("domain running", 30_000, async () => ((await virsh(["domstate", domain])).trim() === "running" ? true : undefined));
});

test("adopt a domain defined by hand from Imported VMs, then unadopt it: the page and libvirt agree", async () => {
  const disk = join(lv.poolPath, "handmade-disk0.raw");
  await mkdir(lv.poolPath, { recursive: true });
  await writeRandomContent(disk, 1 * MiB);
  const type = (await stat("/dev/kvm").then(() => true, () => false)) ? "kvm" : "qemu";
  const xml = join(lv.scratchDir, "handmade.xml");
  await writeFile(
    xml,
    `<domain type='${type}'><name>${hand.name}</name><uuid>${hand.uuid}</uuid><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk></devices></domain>`,
  );
  await virsh(["define", xml]);

  await nav("Imported VMs");
  const form = page.getByTestId("adopt-form");
  await form.locator("#adopt-provider").selectOption(`${ns}/kvm`);
  await form.locator("#adopt-plan").fill("hand-wave");
  const candidate = form.getByRole("row").filter({ hasText: hand.name });
  await candidate.waitFor();
  assert.equal(await form.getByRole("row").filter({ hasText: `${ns}--web01` }).count(), 0, "a domain landfall manages is not offered");
  await candidate.getByRole("button", { name: `Adopt ${hand.name}` }).click();
  // The preview is the server's dry run: what adoption would write, and nothing written yet.
  const preview = page.getByTestId("adopt-preview");
  await preview.waitFor({ timeout: 45_000 });
  assert.match(await text(preview.getByTestId("preview-labels")), /landfall\.dev\/adopted: "true"[\s\S]*landfall\.dev\/original-plan: hand-wave/);
  assert.match(await text(preview.getByTestId("preview-configmap")), /name: vm-adopted-handmade[\s\S]*sourcePlan: hand-wave/);
  assert.match(await text(preview.getByTestId("preview-vm")), new RegExp(`kind: VirtualMachine[\\s\\S]*name: handmade[\\s\\S]*${hand.uuid}`));
  const cozy = await text(preview.getByTestId("preview-cozystack"));
  assert.match(cozy, /kind: VMInstance[\s\S]*cozystack\.io\/adopted/);
  assert.match(cozy, /kind: VMDisk/);
  await shot("imported-adopt-preview");
  assert.equal((await api<KubeObject>(srv, resourcePath(ns, "virtualmachines", "handmade"))).status, 404, "the preview created the VirtualMachine");
  assert.equal((await api<KubeObject>(srv, resourcePath(ns, "configmaps", "vm-adopted-handmade"))).status, 404, "the preview created the tracking record");
  assert.doesNotMatch(await domainLabels(hand.name), /landfall.dev\/adopted/, "the preview labelled the domain");
  await preview.getByRole("button", { name: "Adopt", exact: true }).click();
  await preview.waitFor({ state: "detached", timeout: 45_000 });
  const row = page.getByTestId(`imported-row-${ns}-handmade`);
  // Adoption inspects the domain and its disk through libvirt: slow on a loaded machine.
  await row.waitFor({ timeout: 45_000 });
  assert.match(await text(row), /hand-wave/);
  // An adopted domain is no longer offered for adoption (once the adopt call has answered).
  await candidate.waitFor({ state: "detached" });
  // The plan filter keeps it; another plan hides it.
  await page.getByLabel("Filter by plan").fill("other-wave");
  await row.waitFor({ state: "detached" });
  await page.getByLabel("Filter by plan").fill("hand");
  await row.waitFor();
  // The VirtualMachine controller writes the labels into the domain's metadata on its next pass.
  await waitFor(`${hand.name}'s adoption label in libvirt`, 20_000, async () => (/key="landfall.dev\/adopted"\s+value="true"/.test(await domainLabels(hand.name)) ? true : undefined));
  await shot("imported-adopted");

  await page.getByRole("button", { name: "Unadopt handmade" }).click();
  const dialog = page.getByTestId("unadopt-dialog");
  await dialog.getByRole("button", { name: "Unadopt" }).click();
  // Unadopting rewrites the domain's labels through libvirt and the VM controller then releases the resource: slow under load.
  await row.waitFor({ state: "detached", timeout: 45_000 }).catch(async (err: Error) => {
    const vm = await api<KubeObject>(srv, resourcePath(ns, "virtualmachines", "handmade"));
    throw new Error(`${err.message}\nthe VirtualMachine is now ${vm.status}: ${JSON.stringify(vm.body.metadata)}; dialog: ${await text(dialog).catch(() => "closed")}`);
  });
  assert.equal((await api<KubeObject>(srv, resourcePath(ns, "virtualmachines", "handmade"))).status, 404);
  // The domain stays, without landfall's adoption labels.
  assert.match(await virsh(["dominfo", hand.name]), new RegExp(hand.uuid));
  assert.doesNotMatch(await domainLabels(hand.name), /landfall.dev\/adopted/);
  await shot("imported-unadopted");
});

test("retry a failed migration under a new name: the API's field error shows next to the name, then the copy is created", async () => {
  const failed = await api<VMMigration>(srv, resourcePath(ns, "vmmigrations"), {
    method: "POST",
    body: JSON.stringify({ apiVersion: "landfall.dev/v1beta1", kind: "VMMigration", metadata: { name: "ghost", namespace: ns }, spec: { source: { providerRef: { name: "vcenter" }, vmName: "no-such-vm" }, target: { providerRef: { name: "kvm" } } } }),
  });
  assert.equal(failed.status, 201, JSON.stringify(failed.body));
  await nav("Migrations");
  await waitFor("ghost Failed", 30_000, async () => ((await text(page.getByTestId("migration-row-ghost"))).includes("Failed") ? true : undefined));
  await page.getByRole("button", { name: "Retry ghost" }).click();
  const dialog = page.getByTestId("retry-dialog");
  await dialog.locator("#retry-name").fill("Ghost_2");
  await dialog.getByRole("button", { name: "Retry" }).click();
  await dialog.getByTestId("field-error-retry-name").waitFor();
  await shot("retry-field-error");
  await dialog.locator("#retry-name").fill("ghost-2");
  await dialog.getByRole("button", { name: "Retry" }).click();
  await dialog.waitFor({ state: "detached" });
  const copy = await api<VMMigration>(srv, resourcePath(ns, "vmmigrations", "ghost-2"));
  assert.equal(copy.status, 200);
  assert.deepEqual(copy.body.spec.source, { providerRef: { name: "vcenter" }, vmName: "no-such-vm" });
  assert.equal((await api<VMMigration>(srv, resourcePath(ns, "vmmigrations", "ghost"))).body.status?.phase, "Failed", "the failed one stays for its record");
});

test("a viewer sees every page (screenshots) but no write action: no Add provider, trust, Migrate, select, cancel, retry, stop", async () => {
  const created = await api<{ id: string; token: string }>(srv, "/auth/tokens", { method: "POST", body: JSON.stringify({ role: "viewer", name: "dash-viewer" }) });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByLabel("API token").fill(created.body.token);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByTestId("identity").waitFor();

  await nav("Providers");
  await page.getByTestId("provider-row-vcenter").waitFor();
  assert.equal(await page.getByRole("button", { name: "Add provider" }).count(), 0);
  assert.equal(await page.getByRole("button", { name: /^Edit/ }).count(), 0);
  assert.equal(await page.getByRole("button", { name: /^Trust/ }).count(), 0);
  await shot("viewer-providers");
  await nav("Inventory");
  await page.getByTestId("inventory-row-web01").waitFor();
  assert.equal(await page.getByRole("button", { name: /^Migrate/ }).count(), 0);
  assert.equal(await page.getByTestId("inventory-row-web01").getByRole("checkbox").count(), 0);
  await shot("viewer-inventory");
  await nav("Migrations");
  await page.getByTestId("migration-row-web01").waitFor();
  assert.equal(await page.getByRole("button", { name: /^(Cancel|Retry) web01$/ }).count(), 0);
  await shot("viewer-migrations");
  await nav("Virtual machines");
  await page.getByTestId(`vm-row-${ns}-web01`).waitFor();
  assert.equal(await page.getByRole("button", { name: /^(Start|Stop|Restart) web01$/ }).count(), 0);
  await shot("viewer-virtual-machines");
  for (const title of ["Overview", "Imported VMs", "Imports"]) {
    await nav(title);
    if (title === "Imported VMs") assert.equal(await page.getByTestId("adopt-form").count(), 0, "a viewer is offered adoption");
    await shot(`viewer-${title.toLowerCase().replace(/ /g, "-")}`);
  }
});
