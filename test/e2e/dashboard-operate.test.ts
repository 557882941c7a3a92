// Operating migrations from the dashboard, in Chromium (playwright-core) against a real `bin/landfall serve`,
// govmomi's simulator and libvirt: editing a Provider (Unreachable and InvalidCredentials shown by Test
// connection, a refused field beside its field changing nothing, then Connected again), cancelling a running
// migration from its page (the confirmation says what is and is not deleted; libvirt keeps nothing of it), and
// a warm migration planned in the wizard whose page lists its precopies and cuts over with "Cutover now" — which
// a viewer, looking at the same page, is not offered — and one cut over at a time set with "Cutover at…".
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Locator, Page } from "playwright-core";
import type { Provider } from "../../src/api/provider.ts";
import type { VMMigration } from "../../src/api/vmmigration.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { CHROMIUM, launchChromium } from "../harness/chromium.ts";
import { applySourceAndTarget } from "../harness/providers.ts";
import { api, resourcePath, waitFor } from "../harness/landfall.ts";
import { createTempLibvirt, type TempLibvirt, virsh } from "../harness/libvirt.ts";
import { startVcsim, type Vcsim, writeRandomContent } from "../harness/vcsim/harness.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SHOTS = process.env.LANDFALL_SCREENSHOTS ?? join(ROOT, "test-results/dashboard-operate");
const MiB = 1 << 20;
/** Where a migration copies its disks before import: <pool path>/.landfall-staging/<migration UID>. */
const STAGING = ".landfall-staging";

let vc: Vcsim;
let lv: TempLibvirt;
let srv: ServeProcess;
let ns: string;
const contexts: BrowserContext[] = [];
const profiles: string[] = [];
let page: Page;

const text = async (l: Locator): Promise<string> => (await l.textContent()) ?? "";

async function shot(p: Page, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** A fresh Chromium profile logged in with `token`, on `path`. */
async function browserAs(token: string, path: string): Promise<Page> {
  const dir = await mkdtemp(join(tmpdir(), "landfall-chromium-"));
  profiles.push(dir);
  const { context, page: p } = await launchChromium(dir);
  contexts.push(context);
  p.setDefaultTimeout(15_000);
  await p.goto(`${srv.url}${path}`);
  await p.getByLabel("API token").fill(token);
  await p.getByRole("button", { name: "Log in" }).click();
  await p.getByTestId("identity").waitFor();
  return p;
}

const nav = async (p: Page, title: string) => {
  await p.getByRole("link", { name: title, exact: true }).click();
  await p.getByRole("heading", { level: 1, name: title }).waitFor();
};

before(async () => {
  assert.ok(existsSync(join(ROOT, "web/dist/index.html")), "web/dist is missing: run scripts/build-web.sh");
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: make setup installs Debian's chromium`);
  lv = await createTempLibvirt("dashop");
  ns = lv.prefix;
  const slow = [join(lv.scratchDir, "slow-0.raw"), join(lv.scratchDir, "slow-1.raw")];
  for (const d of slow) await writeRandomContent(d, 8 * MiB);
  const warm = join(lv.scratchDir, "warm-0.raw");
  await writeRandomContent(warm, 4 * MiB);
  const timed = join(lv.scratchDir, "timed-0.raw");
  await writeRandomContent(timed, 4 * MiB);
  vc = await startVcsim({
    vms: [
      { name: "slow01", cpus: 1, memoryMiB: 64, powerOn: true, disks: slow.map((contentPath) => ({ contentPath, capacityBytes: 8 * MiB })) },
      { name: "warm01", cpus: 1, memoryMiB: 64, powerOn: true, disks: [{ contentPath: warm, capacityBytes: 4 * MiB }] },
      { name: "timed01", cpus: 1, memoryMiB: 64, powerOn: true, disks: [{ contentPath: timed, capacityBytes: 4 * MiB }] },
    ],
  });
  srv = await startServeProcess();
  await mkdir(lv.poolPath, { recursive: true });
  await applySourceAndTarget(srv, ns, vc, lv, { tls: "thumbprint" });
  page = await browserAs(srv.adminToken, "/providers");
});

after(async () => {
  if (page) await shot(page, "last").catch(() => undefined);
  for (const c of contexts) await c.close().catch(() => undefined);
  await srv?.stop();
  await vc?.stop();
  await lv?.cleanup();
  for (const d of profiles) await rm(d, { recursive: true, force: true });
});

const secretPassword = async (): Promise<string> => {
  const s = await api<{ data?: Record<string, string> }>(srv, resourcePath(ns, "secrets", "vcenter-creds"));
  return Buffer.from(s.body.data?.password ?? "", "base64").toString();
};

/** Opens Edit for vcenter, lets `fill` change the form, saves, and waits for the dialog to close. */
async function editVcenter(fill: (form: Locator) => Promise<void>, opts: { expectClose?: boolean } = {}): Promise<Locator> {
  await page.getByRole("button", { name: "Edit vcenter" }).click();
  const form = page.getByTestId("provider-form");
  await form.waitFor();
  assert.equal(await form.locator("#provider-password").inputValue(), "", "credentials are never shown again");
  assert.ok(await form.locator("#provider-name").isDisabled(), "the name of an existing Provider cannot change");
  await fill(form);
  await form.getByRole("button", { name: "Save" }).click();
  if (opts.expectClose !== false) await form.waitFor({ state: "detached" });
  return form;
}

const reasonIs = (want: string) => async () => ((await text(page.getByTestId("provider-reason-vcenter"))) === want ? true : undefined);

async function testConnection(): Promise<string> {
  await page.getByRole("button", { name: "Test connection vcenter" }).click();
  const result = page.getByTestId("connection-result-vcenter");
  await result.waitFor();
  return text(result);
}

test("edit a Provider: Unreachable, then InvalidCredentials, shown by Test connection; a refused field changes nothing; then Connected", async () => {
  await waitFor("vcenter Connected", 30_000, reasonIs("Connected"));

  await editVcenter(async (form) => {
    assert.equal(await form.locator("#provider-endpoint").inputValue(), vc.url, "the form starts from the Provider's spec");
    await form.locator("#provider-endpoint").fill("https://127.0.0.1:9/sdk");
  });
  await waitFor("vcenter Unreachable", 30_000, reasonIs("Unreachable"));
  assert.match(await testConnection(), /Failed \(Ready reason: Unreachable\)/);
  await shot(page, "provider-unreachable");

  await editVcenter(async (form) => {
    await form.locator("#provider-endpoint").fill(vc.url);
    await form.locator("#provider-password").fill("not-the-password");
  });
  assert.equal(await secretPassword(), "not-the-password", "a new password is written to the Secret");
  await waitFor("vcenter InvalidCredentials", 30_000, reasonIs("InvalidCredentials"));
  assert.match(await testConnection(), /Failed \(Ready reason: InvalidCredentials\)/);
  await shot(page, "provider-invalid-credentials");

  // A field the API refuses is shown beside the field, and the password typed with it is not written: the
  // form asks the server for a dry run of the Provider change before it touches the Secret.
  const refused = await editVcenter(
    async (form) => {
      await form.locator("#provider-password").fill(vc.password);
      await form.locator("#provider-tenants").fill("Not_A_Namespace");
    },
    { expectClose: false },
  );
  await refused.getByTestId("field-error-provider-tenants").waitFor();
  await shot(page, "provider-edit-field-error");
  assert.equal(await secretPassword(), "not-the-password", "a refused edit wrote the Secret");
  await refused.getByRole("button", { name: "Cancel" }).click();
  await refused.waitFor({ state: "detached" });

  // Credentials only: the Provider's spec does not change; the next re-check (10 s while not Ready) uses them.
  await editVcenter(async (form) => {
    await form.locator("#provider-password").fill(vc.password);
    await form.locator("#provider-tenants").fill(ns);
  });
  await waitFor("vcenter Connected again", 45_000, reasonIs("Connected"));
  const p = (await api<Provider>(srv, resourcePath(ns, "providers", "vcenter"))).body;
  assert.deepEqual(p.spec.tenants, [ns]);
  assert.equal(p.spec.endpoint, vc.url);
  assert.equal(p.spec.tls?.thumbprint, vc.thumbprint, "fields left as they were stay");
  assert.equal(await secretPassword(), vc.password);
  assert.ok(!(await page.content()).includes(vc.password), "the password is shown on the page");
  await shot(page, "provider-edited");
});

test("cancel a running migration from its page: the dialog says what is and is not deleted; libvirt keeps nothing of it", async () => {
  const poolBefore = (await readdir(lv.poolPath)).filter((f) => f !== STAGING).sort();
  const created = await api<VMMigration>(srv, resourcePath(ns, "vmmigrations"), {
    method: "POST",
    body: JSON.stringify({
      apiVersion: "landfall.dev/v1beta1",
      kind: "VMMigration",
      metadata: { name: "slow01", namespace: ns },
      spec: { source: { providerRef: { name: "vcenter" }, vmName: "slow01" }, target: { providerRef: { name: "kvm" }, vmName: "slow01" }, options: { bandwidthMiBps: 1 } },
    }),
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await nav(page, "Migrations");
  const row = page.getByTestId("migration-row-slow01");
  await waitFor("slow01 Transferring on the page", 60_000, async () => ((await text(row)).includes("Transferring") ? true : undefined));
  await waitFor("slow01 has bytes on the target", 30_000, async () => ((await api<VMMigration>(srv, resourcePath(ns, "vmmigrations", "slow01"))).body.status?.progress?.bytesDone ?? 0) > 0 || undefined);
  // The partial copy exists before the cancel (so its absence afterwards means something).
  const staging = join(lv.poolPath, STAGING, created.body.metadata.uid as string);
  assert.ok(existsSync(staging), `no staging directory ${staging} while transferring`);
  await row.getByRole("button", { name: "Cancel slow01" }).click();
  const dialog = page.getByTestId("cancel-dialog");
  const said = await text(dialog);
  assert.match(said, /removes the partial volumes it wrote on the target/);
  assert.match(said, /does not delete the source VM or its disks/);
  await shot(page, "cancel-dialog");
  await dialog.getByRole("button", { name: "Cancel migration" }).click();
  await row.waitFor({ state: "detached", timeout: 60_000 });
  await waitFor("slow01 gone from the API", 60_000, async () => ((await api(srv, resourcePath(ns, "vmmigrations", "slow01"))).status === 404 ? true : undefined));
  // Nothing of it on the target: no domain, no volume in the pool.
  await assert.rejects(virsh(["dominfo", `${ns}--slow01`]), /failed to get domain|Domain not found/);
  await waitFor("the staging directory removed", 30_000, async () => (existsSync(staging) ? undefined : true));
  assert.deepEqual((await readdir(lv.poolPath)).filter((f) => f !== STAGING).sort(), poolBefore, `partial volumes left in ${lv.poolPath}`);
  const volumes = await virsh(["vol-list", lv.pool]);
  assert.doesNotMatch(volumes, /slow01/);
  // The source VM is still there.
  const inventory = await api<{ items: Array<{ name: string }> }>(srv, `${resourcePath(ns, "providers", "vcenter")}/vms`);
  assert.ok(inventory.body.items.some((v) => v.name === "slow01"), "the source VM is gone");
  await shot(page, "migration-cancelled");
});

test("warm: the wizard plans it, the page lists precopies and the next one; a viewer gets no Cutover button; Cutover now finishes it", async () => {
  await nav(page, "Inventory");
  const row = page.getByTestId("inventory-row-warm01");
  await row.waitFor();
  await row.getByRole("checkbox").check();
  await page.getByRole("button", { name: "Migrate (1)" }).click();
  const wizard = page.getByTestId("migrate-wizard");
  await wizard.getByRole("button", { name: "Next" }).click();
  await wizard.getByRole("button", { name: "Next" }).click();
  await wizard.locator("#wizard-mode-warm").check();
  await wizard.locator("#wizard-precopy-interval").fill("3 s");
  assert.match(await text(wizard.getByTestId("field-error-wizard-precopy-interval")), /not a duration/);
  await wizard.locator("#wizard-precopy-interval").fill("3s");
  await wizard.getByRole("button", { name: "Next" }).click();
  const yaml = await text(wizard.getByTestId("review-yaml"));
  for (const want of ["mode: warm", `precopyInterval: "3s"`]) assert.ok(yaml.includes(want), `review YAML lacks ${want}:\n${yaml}`);
  assert.ok(!yaml.includes("cutover:"), "no cutover time was chosen");
  await shot(page, "wizard-warm-review");
  await wizard.getByRole("button", { name: "Create" }).click();
  await page.getByRole("heading", { level: 1, name: "Migrations" }).waitFor();

  const mrow = page.getByTestId("migration-row-warm01");
  await mrow.getByRole("button", { name: "Details" }).click();
  const warm = page.getByTestId("warm-warm01");
  await waitFor("a finished precopy on the page", 90_000, async () => {
    const list = page.getByTestId("precopies-warm01");
    return (await list.count()) > 0 && /full copy/.test(await text(list)) && !/running/.test(await text(list)) ? true : undefined;
  });
  await waitFor("the next precopy's time", 30_000, async () => ((await text(page.getByTestId("warm-next-warm01"))) !== "—" ? true : undefined));
  assert.match(await text(page.getByTestId("warm-cutover-warm01")), /not set/);
  await shot(page, "warm-precopying");

  // A viewer on the same page sees the precopies but no Cutover button (nor Edit on Providers).
  const made = await api<{ token: string }>(srv, "/auth/tokens", { method: "POST", body: JSON.stringify({ role: "viewer", name: "dashop-viewer" }) });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const viewer = await browserAs(made.body.token, "/migrations");
  await viewer.getByTestId("migration-row-warm01").getByRole("button", { name: "Details" }).click();
  await viewer.getByTestId("warm-warm01").waitFor();
  assert.equal(await viewer.getByRole("button", { name: /^Cutover/ }).count(), 0);
  assert.equal(await viewer.getByRole("button", { name: /^Cancel/ }).count(), 0);
  await shot(viewer, "viewer-warm");
  await nav(viewer, "Providers");
  await viewer.getByTestId("provider-row-vcenter").waitFor();
  assert.equal(await viewer.getByRole("button", { name: /^Edit/ }).count(), 0);

  await warm.getByRole("button", { name: "Cutover warm01 now" }).click();
  await waitFor("spec.cutover set", 10_000, async () => (await api<VMMigration>(srv, resourcePath(ns, "vmmigrations", "warm01"))).body.spec.cutover);
  await waitFor("warm01 Succeeded on the page", 120_000, async () => ((await text(mrow)).includes("Succeeded") ? true : undefined));
  const m = (await api<VMMigration>(srv, resourcePath(ns, "vmmigrations", "warm01"))).body;
  assert.ok((m.status?.downtimeSeconds ?? 0) > 0, `no downtime recorded: ${JSON.stringify(m.status)}`);
  await waitFor("the downtime on the page", 10_000, async () => ((await text(page.getByTestId("warm-downtime-warm01"))) !== "—" ? true : undefined));
  assert.match(await text(page.getByTestId("precopies-warm01")), /final \(source off\)/);
  assert.equal(await warm.getByRole("button", { name: /^Cutover/ }).count(), 0, "a finished migration offers no cutover");
  await shot(page, "warm-succeeded");
});

/** `d` as an <input type="datetime-local"> value, in the browser's time zone (the page turns it back into a Date). */
const localInputValue = (p: Page, d: Date): Promise<string> =>
  p.evaluate((ms) => {
    const t = new Date(ms);
    const two = (n: number) => String(n).padStart(2, "0");
    return `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())}T${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`;
  }, d.getTime());

test("warm: Cutover at… a time a few seconds ahead sets spec.cutover to it, and the migration cuts over then and Succeeds", async () => {
  const created = await api<VMMigration>(srv, resourcePath(ns, "vmmigrations"), {
    method: "POST",
    body: JSON.stringify({
      apiVersion: "landfall.dev/v1beta1",
      kind: "VMMigration",
      metadata: { name: "timed01", namespace: ns },
      spec: { source: { providerRef: { name: "vcenter" }, vmName: "timed01" }, target: { providerRef: { name: "kvm" }, vmName: "timed01" }, options: { mode: "warm", precopyInterval: "3s" } },
    }),
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await nav(page, "Migrations");
  const mrow = page.getByTestId("migration-row-timed01");
  await mrow.getByRole("button", { name: "Details" }).click();
  const warm = page.getByTestId("warm-timed01");
  await waitFor("timed01's first precopy done", 90_000, async () => ((await api<VMMigration>(srv, resourcePath(ns, "vmmigrations", "timed01"))).body.status?.precopies?.some((p) => p.completedAt) ? true : undefined));

  await warm.getByRole("button", { name: "Cutover at…" }).click();
  // Whole seconds: spec.cutover is RFC 3339 to the second.
  const at = new Date(Math.ceil((Date.now() + 10_000) / 1000) * 1000);
  await warm.getByLabel("Cutover time", { exact: true }).fill(await localInputValue(page, at));
  await warm.getByRole("button", { name: "Set cutover time" }).click();
  const cutover = await waitFor("spec.cutover set", 10_000, async () => (await api<VMMigration>(srv, resourcePath(ns, "vmmigrations", "timed01"))).body.spec.cutover);
  assert.equal(Date.parse(cutover), at.getTime(), `spec.cutover ${cutover} is not the time chosen (${at.toISOString()})`);
  await waitFor("the requested cutover on the page", 10_000, async () => (/not set/.test(await text(page.getByTestId("warm-cutover-timed01"))) ? undefined : true));
  await shot(page, "warm-cutover-at");

  await waitFor("timed01 Succeeded on the page", 150_000, async () => ((await text(mrow)).includes("Succeeded") ? true : undefined));
  const m = (await api<VMMigration>(srv, resourcePath(ns, "vmmigrations", "timed01"))).body;
  const started = Date.parse(m.status?.cutover?.startedAt ?? "");
  assert.ok(started >= at.getTime(), `the cutover started at ${m.status?.cutover?.startedAt}, before the time set (${at.toISOString()})`);
  assert.ok(m.status?.precopies?.some((p) => p.final), `no final precopy: ${JSON.stringify(m.status?.precopies)}`);
  await shot(page, "warm-cutover-at-succeeded");
});
