// The dashboard in a real browser: a real `bin/landfall serve` serving web/dist, objects applied through the
// API, Debian's Chromium driven by playwright-core. No hypervisor: the objects point at providers that do not
// exist. The Provider and VirtualMachine controllers run (their statuses are real); the VMMigration controller
// does not, so the migration's status is the test's own, written via PUT …/status.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { BrowserContext, Locator, Page } from "playwright-core";
import type { KubeObject } from "../../src/api/meta.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { api, resourcePath, waitFor } from "../harness/landfall.ts";
import { CHROMIUM, launchChromium } from "../harness/chromium.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DIST_INDEX = join(ROOT, "web/dist/index.html");
/** Set LANDFALL_SCREENSHOTS=DIR to keep a PNG of every page the test visits. */
const SHOTS = process.env.LANDFALL_SCREENSHOTS;
const GiB = 1024 ** 3;

let srv: ServeProcess;
let context: BrowserContext;
let page: Page;
let profileDir: string;

const meta = (name: string, namespace: string, extra: Partial<KubeObject["metadata"]> = {}) => ({ name, namespace, ...extra });

async function createObject(ns: string, plural: string, obj: Record<string, unknown>): Promise<KubeObject> {
  const r = await api(srv, resourcePath(ns, plural), { method: "POST", body: JSON.stringify({ apiVersion: "landfall.dev/v1beta1", ...obj }) });
  assert.equal(r.status, 201, `create ${plural}: ${JSON.stringify(r.body)}`);
  return r.body;
}

async function putMigrationStatus(ns: string, name: string, status: Record<string, unknown>): Promise<void> {
  const current = await api(srv, resourcePath(ns, "vmmigrations", name));
  const r = await api(srv, `${resourcePath(ns, "vmmigrations", name)}/status`, { method: "PUT", body: JSON.stringify({ ...current.body, status }) });
  assert.equal(r.status, 200, `PUT status: ${JSON.stringify(r.body)}`);
}

async function shot(name: string): Promise<void> {
  if (!SHOTS) return;
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

const disk = (id: string, size: number, done: number, state: string, sum?: string) => ({
  diskID: id,
  sourcePath: `[LocalDS_0] web01/${id}.vmdk`,
  sizeBytes: size,
  bytesDone: done,
  state,
  ...(sum ? { sha256: sum, targetSha256: sum } : {}),
});

before(async () => {
  // A dashboard that did not build is a failure, never a skip: `make setup` runs scripts/build-web.sh.
  if (!existsSync(DIST_INDEX)) {
    await promisify(execFile)(join(ROOT, "scripts/build-web.sh"), [], { timeout: 300_000 }).catch((err: Error & { stderr?: string }) => {
      throw new Error(`the dashboard is not built and scripts/build-web.sh failed: ${err.message}\n${err.stderr ?? ""}`);
    });
  }
  assert.ok(existsSync(DIST_INDEX), `${DIST_INDEX} is missing after scripts/build-web.sh`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: make setup installs Debian's chromium`);

  srv = await startServeProcess({ args: ["--controllers", "provider,virtualmachine"] });
  await createObject("default", "providers", { kind: "Provider", metadata: meta("vcenter", "default"), spec: { type: "vsphere", endpoint: "https://127.0.0.1:9/sdk" } });
  await createObject("default", "virtualmachines", {
    kind: "VirtualMachine",
    metadata: meta("web01", "default", {
      labels: { "landfall.dev/adopted": "true", "landfall.dev/original-plan": "wave-1", "landfall.dev/source": "vm-import" },
      annotations: { "landfall.dev/migrated-from": "vsphere/vcenter/web01", "landfall.dev/migration": "web01", "landfall.dev/disk-checksum": `sha256:${"ab".repeat(32)}` },
    }),
    spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: "web01-disk0", source: "migration", migrationRef: { name: "web01" } }, cpus: 2, memoryMiB: 2048, powerState: "On" },
  });
  await createObject("prod", "virtualmachines", {
    kind: "VirtualMachine",
    metadata: meta("db01", "prod", { labels: { "cozystack.io/adopted": "true" } }),
    spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: "db01-disk0", source: "import" }, cpus: 4, memoryMiB: 4096 },
  });
  await createObject("default", "virtualmachines", {
    kind: "VirtualMachine",
    metadata: meta("app01", "default"),
    spec: { providerRef: { name: "kvm" }, imageRef: { name: "debian-12" }, cpus: 1, memoryMiB: 512 },
  });
  await createObject("default", "configmaps", {
    kind: "ConfigMap",
    metadata: meta("vm-adopted-web01", "default", { labels: { "landfall.dev/type": "adopted-vm" } }),
    data: { vmName: "web01", sourcePlan: "wave-1", sourceType: "vmware", adoptedAt: "2026-11-20T10:00:00Z", managementEndpoint: "landfall" },
  });
  await createObject("default", "vmmigrations", {
    kind: "VMMigration",
    metadata: meta("web01", "default"),
    spec: { source: { providerRef: { name: "gone" }, vmName: "web01" }, target: { providerRef: { name: "kvm" }, vmName: "web01" } },
  });
  await putMigrationStatus("default", "web01", {
    phase: "Transferring",
    startedAt: "2026-11-23T10:00:00Z",
    progress: { bytesDone: Math.round(0.42 * 10 * GiB), bytesTotal: 10 * GiB, bytesPerSecond: 200 * 1024 ** 2, etaSeconds: 30 },
    disks: [{ ...disk("web01-disk0", 8 * GiB, Math.round(0.42 * 10 * GiB), "Transferring"), allocatedBytes: 3 * GiB }, disk("web01-disk1", 2 * GiB, 0, "Pending")],
    phaseHistory: [
      { phase: "Validating", enteredAt: "2026-11-23T10:00:00Z" },
      { phase: "Exporting", enteredAt: "2026-11-23T10:00:02Z" },
      { phase: "Transferring", enteredAt: "2026-11-23T10:00:05Z" },
    ],
  });

  profileDir = await mkdtemp(join(tmpdir(), "landfall-chromium-"));
  ({ context, page } = await launchChromium(profileDir));
  page.setDefaultTimeout(10_000);
});

after(async () => {
  await context?.close();
  await srv?.stop();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
});

/** Rendered text of an element (textContent: cells run together, so assertions use includes/regexes). */
const text = async (l: Locator): Promise<string> => (await l.textContent()) ?? "";

const nav = async (title: string) => {
  await page.getByRole("link", { name: title, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: title }).waitFor();
};

test("a wrong token is refused with the server's 401 message; the right one logs in", async () => {
  const res = await page.goto(`${srv.url}/virtualmachines`);
  assert.equal(res?.status(), 200, "the SPA fallback serves index.html for app routes");
  // The page reads its first list beside whoami: their 401s lead to the login form, with no error shown.
  await page.getByLabel("API token").waitFor();
  await page.waitForLoadState("networkidle");
  assert.equal(await page.getByTestId("api-error").count(), 0, "a first visit shows an error");
  await page.getByLabel("API token").fill("lf_not-a-real-token");
  await page.getByRole("button", { name: "Log in" }).click();
  const alert = page.getByTestId("api-error");
  await alert.waitFor();
  assert.match(await text(alert), /401/);
  assert.match(await text(alert), /token is not valid/);
  await shot("login-401");

  await page.getByLabel("API token").fill(srv.adminToken);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { level: 1, name: "Virtual machines" }).waitFor();
  assert.equal(await text(page.getByTestId("identity")), "admin (admin)");
  // The token went into the session exchange and nowhere else the page can reach.
  const stored = await page.evaluate(() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie]));
  assert.ok(!stored.includes(srv.adminToken), `browser storage holds the token: ${stored}`);
  assert.ok(!stored.includes("landfall_session"), "the session cookie is HttpOnly");
  const cookie = (await context.cookies()).find((c) => c.name === "landfall_session");
  assert.equal(cookie?.httpOnly, true);
  assert.equal(cookie?.sameSite, "Strict");
});

test("the overview counts VMs, migrations, imported VMs and providers", async () => {
  await nav("Overview");
  await waitFor("the counts", 10_000, async () => ((await text(page.getByTestId("count-vms-value"))) === "3" ? true : undefined));
  assert.equal(await text(page.getByTestId("count-imported-value")), "2");
  assert.equal(await text(page.getByTestId("count-migrations-value")), "1");
  assert.equal(await text(page.getByTestId("count-providers-value")), "1");
  assert.match(await text(page.getByTestId("count-migrations")), /1 Transferring/);
  await shot("overview");
});

test("the VMs table lists every VM with its disk source, provider, size and provenance", async () => {
  await nav("Virtual machines");
  const rows = page.getByTestId("vm-table").locator("tbody tr");
  await waitFor("three rows", 10_000, async () => ((await rows.count()) === 3 ? true : undefined));
  const web01 = await text(page.getByTestId("vm-row-default-web01"));
  for (const want of ["web01", "default", "migration", "kvm", "2", "2.0 GiB", "vsphere/vcenter/web01"]) assert.ok(web01.includes(want), `web01 row lacks ${want}: ${web01}`);
  assert.match(await text(page.getByTestId("vm-row-prod-db01")), /prod[\s\S]*import[\s\S]*4\.0 GiB/);
  assert.match(await text(page.getByTestId("vm-row-default-app01")), /image debian-12/);

  // The details drawer shows the provenance annotations.
  await page.getByTestId("vm-row-default-web01").locator("td").first().click();
  const details = page.getByTestId("vm-details");
  await details.waitFor();
  assert.match(await text(details), new RegExp(`sha256:${"ab".repeat(32)}`));
  await shot("vms-drawer");
  await details.getByRole("button", { name: /close/i }).click();
});

test("clicking Stop sends the PATCH: spec.powerState becomes Off", async () => {
  await nav("Virtual machines");
  await page.getByRole("button", { name: "Stop web01", exact: true }).click();
  await waitFor("spec.powerState Off", 10_000, async () => {
    const vm = await api<KubeObject & { spec: { powerState?: string } }>(srv, resourcePath("default", "virtualmachines", "web01"));
    return vm.body.spec.powerState === "Off" ? true : undefined;
  });
  // The row now offers Start: the change came back through the watch.
  await page.getByRole("button", { name: "Start web01", exact: true }).waitFor();
});

test("Imported VMs lists exactly the adopted VMs, with plan and source type from the tracking ConfigMap", async () => {
  await nav("Imported VMs");
  const rows = page.getByTestId("imported-table").locator("tbody tr");
  await waitFor("two rows", 10_000, async () => ((await rows.count()) === 2 ? true : undefined));
  const names = (await rows.locator("td:first-child").allTextContents()).map((t) => t.trim()).sort();
  assert.deepEqual(names, ["db01", "web01"]);
  // Plan and type come from the ConfigMaps, a second list that may answer after the VMs'.
  const web01 = page.getByTestId("imported-row-default-web01");
  await waitFor("web01's source type from its ConfigMap", 10_000, async () => (/wave-1[\s\S]*vmware/.test(await text(web01)) ? true : undefined));
  // The source type filter is the server's: only web01 has a record saying vmware.
  await page.getByLabel("Filter by source type").fill("vmware");
  await page.getByTestId("imported-row-prod-db01").waitFor({ state: "detached" });
  await web01.waitFor();
  assert.match(await text(page.getByTestId("imported-count")), /^1 adopted VM matches/);
  await page.getByLabel("Filter by source type").fill("");
  await page.getByTestId("imported-row-prod-db01").waitFor();
  // Live: a VM adopted while the page is open arrives through the watch, without a re-read of the list.
  const lists: string[] = [];
  const onRequest = (r: { url(): string }) => {
    if (r.url().includes("/importedvms")) lists.push(r.url());
  };
  page.on("request", onRequest);
  await createObject("staging", "virtualmachines", {
    kind: "VirtualMachine",
    metadata: meta("cache01", "staging", { labels: { "cozystack.io/adopted": "true", "cozystack.io/original-plan": "wave-9" } }),
    spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: "cache01-disk0", source: "import" }, cpus: 1, memoryMiB: 512 },
  });
  const added = page.getByTestId("imported-row-staging-cache01");
  await added.waitFor();
  assert.match(await text(added), /wave-9/);
  page.off("request", onRequest);
  assert.deepEqual(lists, [], "the list was read again for a watch event");
  await page.getByRole("button", { name: "Unadopt web01" }).click();
  const dialog = page.getByTestId("unadopt-dialog");
  assert.match(await text(dialog), /keeps running/);
  await shot("imported-unadopt-dialog");
  await dialog.getByRole("button", { name: "Cancel" }).click();
});

test("the migration's progress bar shows its percent and updates live when its status changes", async () => {
  await nav("Migrations");
  const bar = page.getByTestId("migration-progress-web01");
  await waitFor("42%", 10_000, async () => ((await text(bar)).includes("42%") ? true : undefined));
  assert.equal(await bar.getByRole("progressbar").getAttribute("aria-valuenow"), "42");
  await page.getByRole("button", { name: "Details" }).first().click();
  const details = page.getByTestId("migration-details-web01");
  assert.match(await text(details), /web01-disk1[\s\S]*2\.0 GiB/);
  assert.match(await text(details), /web01-disk0[\s\S]*8\.0 GiB[\s\S]*3\.0 GiB[\s\S]*web01-disk1/, "what the source reported allocated");
  await shot("migrations-42");

  // A marker on window survives only if the page is not reloaded.
  await page.evaluate(() => Object.assign(window, { __noReload: true }));
  const sum = `sha256:${"cd".repeat(32)}`;
  await putMigrationStatus("default", "web01", {
    phase: "Succeeded",
    message: "VirtualMachine default/web01 created from the imported disks",
    progress: { bytesDone: 10 * GiB, bytesTotal: 10 * GiB, percent: 100 },
    disks: [disk("web01-disk0", 8 * GiB, 8 * GiB, "Verified", sum), disk("web01-disk1", 2 * GiB, 2 * GiB, "Verified", sum)],
    phaseHistory: ["Validating", "Exporting", "Transferring", "Converting", "Importing", "Creating", "Succeeded"].map((phase, i) => ({ phase, enteredAt: `2026-11-23T10:0${i}:00Z` })),
  });
  // Well inside the 10 s fallback refetch: this is the SSE watch.
  await waitFor("100% without reload", 5_000, async () => ((await text(bar)).includes("100%") ? true : undefined), 100);
  assert.match(await text(page.getByTestId("migration-row-web01")), /Succeeded/);
  assert.equal(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload), true);
  await shot("migrations-live");
});

test("Providers shows the Ready condition's reason; API errors reach the user", async () => {
  await nav("Providers");
  const row = page.getByTestId("provider-row-vcenter");
  await row.waitFor();
  assert.match(await text(row), /vsphere/);
  await shot("providers");
});

/** Logs out through the masthead and waits for the login form. */
async function logOut(): Promise<void> {
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByLabel("API token").waitFor();
}

async function logIn(token: string): Promise<void> {
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByTestId("identity").waitFor();
}

const whoamiWith = (cookie: string) => fetch(`${srv.url}/auth/whoami`, { headers: { cookie: `landfall_session=${cookie}` } });

test("logging out ends the session on the server: the old cookie gets 401", async () => {
  const before = (await context.cookies()).find((c) => c.name === "landfall_session")?.value as string;
  assert.equal((await whoamiWith(before)).status, 200);
  await logOut();
  assert.equal((await whoamiWith(before)).status, 401);
  await page.reload();
  await page.getByLabel("API token").waitFor();
});

test("a viewer sees the data but no write actions; revoking its token mid-session brings back the login page", async () => {
  const created = await api<{ id: string; token: string }>(srv, "/auth/tokens", { method: "POST", body: JSON.stringify({ role: "viewer", name: "dash-viewer" }) });
  assert.equal(created.status, 201);
  await logIn(created.body.token);
  assert.equal(await text(page.getByTestId("identity")), "dash-viewer (viewer)");
  await nav("Virtual machines");
  await page.getByTestId("vm-row-default-web01").waitFor();
  assert.equal(await page.getByRole("button", { name: /^(Start|Stop|Restart) web01$/ }).count(), 0);
  await nav("Imported VMs");
  await page.getByTestId("imported-row-default-web01").waitFor();
  assert.equal(await page.getByRole("button", { name: "Unadopt web01" }).count(), 0);
  assert.equal(await page.getByTestId("adopt-form").count(), 0);
  await shot("viewer-imported");

  assert.equal((await api(srv, `/auth/tokens/${created.body.id}`, { method: "DELETE" })).status, 200);
  await nav("Providers").catch(() => undefined);
  await page.getByTestId("api-error").waitFor();
  assert.match(await text(page.getByTestId("api-error")), /revoked or expired/);
  await page.getByLabel("API token").waitFor();
});

test("a tenant token (editor of namespace prod) sees only prod's objects and may act only there", async () => {
  const created = await api<{ id: string; token: string }>(srv, "/auth/tokens", { method: "POST", body: JSON.stringify({ role: "editor", name: "dash-prod", namespaces: ["prod"] }) });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await logIn(created.body.token);
  assert.match(await text(page.getByTestId("identity")), /dash-prod/);
  await nav("Virtual machines");
  await page.getByTestId("vm-row-prod-db01").waitFor();
  const rows = page.getByTestId("vm-table").locator("tbody tr");
  assert.equal(await rows.count(), 1, "only prod's VM is listed");
  assert.equal(await page.getByTestId("vm-row-default-web01").count(), 0, "default's VMs stay hidden");
  assert.equal(await page.getByRole("button", { name: /^(Start|Stop|Restart) db01$/ }).count() > 0, true, "an editor may act in its namespace");
  await nav("Overview");
  await waitFor("prod's count", 10_000, async () => ((await text(page.getByTestId("count-vms-value"))) === "1" ? true : undefined));
  await shot("tenant-vms");
  await nav("Imported VMs");
  await page.getByTestId("imported-row-prod-db01").waitFor();
  assert.equal(await page.getByTestId("imported-table").locator("tbody tr:not([data-spacer])").count(), 1, "only prod's adopted VM is listed");
  assert.equal(await page.getByTestId("imported-row-default-web01").count(), 0, "default's adopted VMs stay hidden");
  await shot("tenant-imported");
  // What the page does not show, the API refuses too.
  const other = await fetch(`${srv.url}${resourcePath("default", "virtualmachines", "web01")}`, { headers: { authorization: `Bearer ${created.body.token}` } });
  assert.equal(other.status, 403);
  await logOut();
});
