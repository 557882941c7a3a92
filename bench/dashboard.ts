// Dashboard at fleet scale: a real `landfall serve` holding N VirtualMachines, N VMMigrations, N adopted
// VirtualMachines (with their tracking ConfigMaps) created through the API, and a simulated vCenter with N VMs
// behind a vSphere Provider; Debian's Chromium (playwright-core) measures, for the Virtual machines,
// Migrations, Imported VMs and Inventory pages, how long each takes to show its first rows, how long its
// frames take in a steady scroll, and how long a fling to the end takes (pages of 500 fetched as it goes).
// The Inventory's first paint is measured twice: cold (the server reads the vCenter first) and warm (from the
// server's inventory cache, as every later page and every visit within 30 s).
// Usage: node bench/dashboard.ts [--vms 10000] [--tables vms,migrations,imported,inventory] [--json]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import { startServeProcess } from "../src/compose/serve-process.ts";
import { launchChromium } from "../test/harness/chromium.ts";
import { waitFor } from "../test/harness/landfall.ts";
import { startVcsim, type Vcsim } from "../test/harness/vcsim/harness.ts";

const { values } = parseArgs({ options: { vms: { type: "string", default: "10000" }, tables: { type: "string", default: "vms,migrations,imported,inventory" }, json: { type: "boolean", default: false } } });
const COUNT = Number(values.vms);
if (!Number.isInteger(COUNT) || COUNT < 1) throw new Error(`--vms ${values.vms} must be a positive integer`);

/** A windowed table of the dashboard: where it is, the objects it lists (each with companions), and how its rows are marked. */
interface TableSpec {
  path: string;
  /** What the server holds for row i: objects created through the API (none for the inventory). */
  objects: (i: number, namespace: string) => Array<{ plural: string; body: Record<string, unknown> }>;
  rowPrefix: string;
  scrollTestId: string;
}
const vm = (i: number, namespace: string, labels: Record<string, string> = {}) => ({
  kind: "VirtualMachine",
  metadata: { name: `vm-${String(i).padStart(5, "0")}`, namespace, labels, annotations: { "landfall.dev/migrated-from": `vsphere/vcenter/vm-${i}` } },
  spec: { providerRef: { name: "kvm" }, imageRef: { name: "debian-12" }, cpus: 1 + (i % 4), memoryMiB: 512 * (1 + (i % 8)), powerState: i % 3 ? "On" : "Off" },
});
const TABLES: Record<string, TableSpec> = {
  vms: { path: "/virtualmachines", objects: (i, ns) => [{ plural: "virtualmachines", body: vm(i, ns) }], rowPrefix: "vm-row-", scrollTestId: "vm-scroll" },
  migrations: {
    path: "/migrations",
    objects: (i, namespace) => [
      {
        plural: "vmmigrations",
        body: {
          kind: "VMMigration",
          metadata: { name: `mig-${String(i).padStart(5, "0")}`, namespace },
          spec: { source: { providerRef: { name: "vcenter" }, vmName: `vm-${i}` }, target: { providerRef: { name: "kvm" } }, options: { bandwidthMiBps: 1 + (i % 100) } },
        },
      },
    ],
    rowPrefix: "migration-row-",
    scrollTestId: "migration-scroll",
  },
  imported: {
    path: "/imported",
    // Adopted under either prefix, each with its tracking ConfigMap (in namespaces of their own: the VMs table's are not adopted).
    objects: (i, ns) => {
      const prefix = i % 2 ? "cozystack.io" : "landfall.dev";
      const namespace = `adopted-${ns}`;
      const v = vm(i, namespace, { [`${prefix}/adopted`]: "true", [`${prefix}/original-plan`]: `wave-${i % 20}` });
      return [
        { plural: "virtualmachines", body: v },
        {
          plural: "configmaps",
          body: { kind: "ConfigMap", metadata: { name: `vm-adopted-${v.metadata.name}`, namespace, labels: { [`${prefix}/type`]: "adopted-vm" } }, data: { vmName: v.metadata.name, sourcePlan: `wave-${i % 20}`, sourceType: "vmware", adoptedAt: "2026-11-30T00:00:00Z" } },
        },
      ];
    },
    rowPrefix: "imported-row-",
    scrollTestId: "imported-scroll",
  },
  inventory: { path: "/inventory", objects: () => [], rowPrefix: "inventory-row-", scrollTestId: "inventory-scroll" },
};
const tables = values.tables.split(",").map((t) => {
  const spec = TABLES[t.trim()];
  if (!spec) throw new Error(`--tables: "${t}" is not one of ${Object.keys(TABLES).join(", ")}`);
  return [t.trim(), spec] as const;
});
const NAMESPACES = ["default", "prod", "staging", "dev"];
const PARALLEL = 16;

if (tables.some(([name]) => name === "inventory") && COUNT % 2 !== 0) throw new Error(`--vms ${COUNT}: the simulated vCenter makes VMs in pairs (host and cluster); use an even number`);
// The provider controller only: the inventory's Provider must be Ready-checked; nothing else runs.
const srv = await startServeProcess({ args: ["--controllers", "provider"] });
const profileDir = await mkdtemp(join(tmpdir(), "landfall-bench-chromium-"));
let vc: Vcsim | undefined;
const post = async (path: string, body: Record<string, unknown>) => {
  const res = await fetch(`${srv.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${srv.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ apiVersion: "landfall.dev/v1beta1", ...body }),
  });
  if (res.status !== 201) throw new Error(`create ${path}: ${res.status} ${await res.text()}`);
};
try {
  const createSeconds: Record<string, number> = {};
  for (const [name, table] of tables) {
    const createStart = performance.now();
    if (name === "inventory") {
      vc = await startVcsim({ stockVMs: COUNT / 2 }, { timeoutMs: 600_000 });
      await post("/apis/landfall.dev/v1beta1/namespaces/default/secrets", { kind: "Secret", metadata: { name: "vcenter-creds", namespace: "default" }, stringData: { username: vc.username, password: vc.password } });
      await post("/apis/landfall.dev/v1beta1/namespaces/default/providers", { kind: "Provider", metadata: { name: "vcenter", namespace: "default" }, spec: { type: "vsphere", endpoint: vc.url, credentialsRef: { name: "vcenter-creds" }, tls: { insecureSkipVerify: true } } });
    }
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < COUNT; i = next++) {
        const namespace = NAMESPACES[i % NAMESPACES.length];
        for (const o of table.objects(i, namespace)) {
          const ns = (o.body.metadata as { namespace: string }).namespace;
          await post(`/apis/landfall.dev/v1beta1/namespaces/${ns}/${o.plural}`, o.body);
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    createSeconds[name] = (performance.now() - createStart) / 1000;
  }

  const { context, page } = await launchChromium(profileDir);
  page.setDefaultTimeout(60_000);
  await page.goto(`${srv.url}/overview`);
  await page.getByLabel("API token").fill(srv.adminToken);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();

  const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  let inventoryColdMs: number | undefined;
  for (const [name, table] of tables) {
    if (name === "inventory") {
      await waitFor("the vcenter Provider Ready", 120_000, async () => {
        const res = await fetch(`${srv.url}/apis/landfall.dev/v1beta1/namespaces/default/providers/vcenter`, { headers: { authorization: `Bearer ${srv.adminToken}` } });
        const p = (await res.json()) as { status?: { conditions?: Array<{ type: string; status: string }> } };
        return p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? true : undefined;
      });
      // Cold: nothing cached, the server reads the simulated vCenter's 10,000 VMs before the first page.
      inventoryColdMs = await firstRows(page, table);
    }
    results[name] = await measure(page, table);
  }
  await context.close();

  const result = { objects: COUNT, createSeconds, inventoryColdMs, tables: results };
  if (values.json) console.log(JSON.stringify(result));
  else {
    for (const [name, r] of Object.entries(results)) {
      console.log(`${name}: ${COUNT} created in ${createSeconds[name].toFixed(1)} s`);
      if (name === "inventory" && inventoryColdMs !== undefined) console.log(`  first rows on screen, cold (the server reads the vCenter first): ${inventoryColdMs.toFixed(0)} ms after navigation`);
      console.log(`  first rows on screen: ${r.firstRowsMs.toFixed(0)} ms after navigation (first contentful paint ${r.firstContentfulPaintMs === null ? "n/a" : `${r.firstContentfulPaintMs.toFixed(0)} ms`})`);
      const tl = r.timeline;
      const at = (x: number[] | null) => (x ? `${x[0]}–${x[1]}` : "n/a");
      console.log(`  timeline (ms from navigation): html ${at(tl.html)}, script ${at(tl.script)}, css ${at(tl.css)}, DOMContentLoaded ${tl.domContentLoaded}, whoami ${at(tl.whoami)}, first page ${at(tl.firstList)}`);
      const st = r.scroll.steady;
      console.log(`  steady scroll (${st.frames} frames at 100 px): frame p50 ${st.p50.toFixed(1)} ms, p95 ${st.p95.toFixed(1)} ms, max ${st.max.toFixed(0)} ms (same page idle: p50 ${r.scroll.idle.p50.toFixed(1)} ms, p95 ${r.scroll.idle.p95.toFixed(1)} ms)`);
      console.log(`  fling to the end, fetching pages of 500 as it goes (${r.scroll.loaded} loaded): ${(r.scroll.flingToEndMs / 1000).toFixed(1)} s; at most ${r.scroll.maxRowsInDom} rows in the DOM`);
    }
  }
} finally {
  await srv.stop();
  await vc?.stop();
  await rm(profileDir, { recursive: true, force: true });
}

/** A fresh load of the table's page (no cache of the list in the browser) until its first row is on screen, in ms. */
async function firstRows(page: Page, table: TableSpec): Promise<number> {
  const paintStart = performance.now();
  await page.goto(`${srv.url}${table.path}`);
  await page.locator(`[data-testid^="${table.rowPrefix}"]`).first().waitFor();
  return performance.now() - paintStart;
}

/** First rows, steady scroll and fling to the end of one table, on a fresh load of its page. */
async function measure(page: Page, table: TableSpec) {
  const firstRowsMs = await firstRows(page, table);
  const fcp = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null);
  // Where the time to the first rows went: the page's own clock, from navigation start (ms).
  const timeline = await page.evaluate(() => {
    const span = (e: PerformanceEntry | undefined) => (e ? [Math.round(e.startTime), Math.round((e as PerformanceResourceTiming).responseEnd)] : null);
    const resources = performance.getEntriesByType("resource") as PerformanceResourceTiming[];
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
    return {
      html: [0, Math.round(nav.responseEnd)],
      script: span(resources.find((r) => r.name.endsWith(".js"))),
      css: span(resources.find((r) => r.name.endsWith(".css"))),
      whoami: span(resources.find((r) => r.name.includes("/auth/whoami"))),
      firstList: span(resources.find((r) => r.name.includes("limit="))),
      domContentLoaded: Math.round(nav.domContentLoadedEventEnd),
    };
  });

  // Scroll, in the page: (1) a steady scroll of 300 frames at 100 px per frame (6,000 px/s, a fast wheel),
  // recording every frame's duration; (2) a fling of 4,000 px per frame to the end, until all rows are loaded.
  const scroll = await page.evaluate(async ({ rowPrefix, scrollTestId, count }) => {
    const box = document.querySelector(`[data-testid="${scrollTestId}"]`) as HTMLElement;
    const frame = () => new Promise<number>((r) => requestAnimationFrame(r));
    const rowsInDom = () => box.querySelectorAll(`tr[data-testid^="${rowPrefix}"]`).length;
    const pctOf = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
    // Baseline: frames of the same page not scrolling, i.e. what this machine's load alone costs a frame.
    const idle: number[] = [];
    let t = await frame();
    for (let i = 0; i < 60; i++) {
      const now = await frame();
      idle.push(now - t);
      t = now;
    }
    const frames: number[] = [];
    let maxRowsInDom = 0;
    let last = await frame();
    for (let i = 0; i < 300; i++) {
      box.scrollTop += 100;
      const now = await frame();
      frames.push(now - last);
      last = now;
      maxRowsInDom = Math.max(maxRowsInDom, rowsInDom());
    }
    frames.sort((a, b) => a - b);
    const pct = (p: number) => frames[Math.min(frames.length - 1, Math.floor(frames.length * p))];
    const flingStart = performance.now();
    for (;;) {
      box.scrollTop += 4000;
      await frame();
      maxRowsInDom = Math.max(maxRowsInDom, rowsInDom());
      const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 2;
      if ((Number(box.dataset.rows) === count && atEnd) || performance.now() - flingStart > 120_000) break;
    }
    return {
      idle: { p50: pctOf(idle, 0.5), p95: pctOf(idle, 0.95) },
      steady: { frames: frames.length, p50: pct(0.5), p95: pct(0.95), max: frames[frames.length - 1] },
      flingToEndMs: performance.now() - flingStart,
      maxRowsInDom,
      loaded: Number(box.dataset.rows),
    };
  }, { rowPrefix: table.rowPrefix, scrollTestId: table.scrollTestId, count: COUNT });
  return { firstRowsMs, firstContentfulPaintMs: fcp, timeline, scroll };
}

