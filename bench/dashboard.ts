// Dashboard at fleet scale: a real `landfall serve` (no controllers, no hypervisor) holding N VirtualMachines
// and N VMMigrations created through the API, and Debian's Chromium (playwright-core) measuring, for the
// Virtual machines and the Migrations pages, how long each takes to show its first rows, how long its frames
// take in a steady scroll, and how long a fling to the end takes (pages of 500 fetched as it goes).
// Usage: node bench/dashboard.ts [--vms 10000] [--tables vms,migrations] [--json]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import { startServeProcess } from "../src/compose/serve-process.ts";
import { launchChromium } from "../test/harness/chromium.ts";

const { values } = parseArgs({ options: { vms: { type: "string", default: "10000" }, tables: { type: "string", default: "vms,migrations" }, json: { type: "boolean", default: false } } });
const COUNT = Number(values.vms);
if (!Number.isInteger(COUNT) || COUNT < 1) throw new Error(`--vms ${values.vms} must be a positive integer`);

/** A windowed table of the dashboard: where it is, the objects it lists, and how its rows and count are marked. */
interface TableSpec {
  path: string;
  plural: string;
  object: (i: number, namespace: string) => Record<string, unknown>;
  rowPrefix: string;
  scrollTestId: string;
  countTestId: string;
  countLabel: (n: number) => string;
}
const TABLES: Record<string, TableSpec> = {
  vms: {
    path: "/virtualmachines",
    plural: "virtualmachines",
    object: (i, namespace) => ({
      kind: "VirtualMachine",
      metadata: { name: `vm-${String(i).padStart(5, "0")}`, namespace, annotations: { "landfall.dev/migrated-from": `vsphere/vcenter/vm-${i}` } },
      spec: { providerRef: { name: "kvm" }, imageRef: { name: "debian-12" }, cpus: 1 + (i % 4), memoryMiB: 512 * (1 + (i % 8)), powerState: i % 3 ? "On" : "Off" },
    }),
    rowPrefix: "vm-row-",
    scrollTestId: "vm-scroll",
    countTestId: "vm-count",
    countLabel: (n) => `${n} VMs`,
  },
  migrations: {
    path: "/migrations",
    plural: "vmmigrations",
    object: (i, namespace) => ({
      kind: "VMMigration",
      metadata: { name: `mig-${String(i).padStart(5, "0")}`, namespace },
      spec: { source: { providerRef: { name: "vcenter" }, vmName: `vm-${i}` }, target: { providerRef: { name: "kvm" } }, options: { bandwidthMiBps: 1 + (i % 100) } },
    }),
    rowPrefix: "migration-row-",
    scrollTestId: "migration-scroll",
    countTestId: "migration-count",
    countLabel: (n) => `${n} migrations`,
  },
};
const tables = values.tables.split(",").map((t) => {
  const spec = TABLES[t.trim()];
  if (!spec) throw new Error(`--tables: "${t}" is not one of ${Object.keys(TABLES).join(", ")}`);
  return [t.trim(), spec] as const;
});
const NAMESPACES = ["default", "prod", "staging", "dev"];
const PARALLEL = 16;

const srv = await startServeProcess({ args: ["--controllers", "none"] });
const profileDir = await mkdtemp(join(tmpdir(), "landfall-bench-chromium-"));
try {
  const createSeconds: Record<string, number> = {};
  for (const [name, table] of tables) {
    const createStart = performance.now();
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < COUNT; i = next++) {
        const namespace = NAMESPACES[i % NAMESPACES.length];
        const res = await fetch(`${srv.url}/apis/landfall.dev/v1beta1/namespaces/${namespace}/${table.plural}`, {
          method: "POST",
          headers: { authorization: `Bearer ${srv.adminToken}`, "content-type": "application/json" },
          body: JSON.stringify({ apiVersion: "landfall.dev/v1beta1", ...table.object(i, namespace) }),
        });
        if (res.status !== 201) throw new Error(`create ${table.plural} ${i}: ${res.status} ${await res.text()}`);
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
  for (const [name, table] of tables) results[name] = await measure(page, table);
  await context.close();

  const result = { objects: COUNT, createSeconds, tables: results };
  if (values.json) console.log(JSON.stringify(result));
  else {
    for (const [name, r] of Object.entries(results)) {
      console.log(`${name}: ${COUNT} created through the API in ${createSeconds[name].toFixed(1)} s`);
      console.log(`  first rows on screen: ${r.firstRowsMs.toFixed(0)} ms after navigation (first contentful paint ${r.firstContentfulPaintMs === null ? "n/a" : `${r.firstContentfulPaintMs.toFixed(0)} ms`})`);
      const st = r.scroll.steady;
      console.log(`  steady scroll (${st.frames} frames at 100 px): frame p50 ${st.p50.toFixed(1)} ms, p95 ${st.p95.toFixed(1)} ms, max ${st.max.toFixed(0)} ms (same page idle: p50 ${r.scroll.idle.p50.toFixed(1)} ms, p95 ${r.scroll.idle.p95.toFixed(1)} ms)`);
      console.log(`  fling to the end, fetching pages of 500 as it goes (${r.scroll.loaded} loaded): ${(r.scroll.flingToEndMs / 1000).toFixed(1)} s; at most ${r.scroll.maxRowsInDom} rows in the DOM`);
    }
  }
} finally {
  await srv.stop();
  await rm(profileDir, { recursive: true, force: true });
}

/** First rows, steady scroll and fling to the end of one table, on a fresh load of its page. */
async function measure(page: Page, table: TableSpec) {
  // First paint: a fresh load of the page (no cache of the list) until its first row is on screen.
  const paintStart = performance.now();
  await page.goto(`${srv.url}${table.path}`);
  await page.locator(`[data-testid^="${table.rowPrefix}"]`).first().waitFor();
  const firstRowsMs = performance.now() - paintStart;
  const fcp = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null);

  // Scroll, in the page: (1) a steady scroll of 300 frames at 100 px per frame (6,000 px/s, a fast wheel),
  // recording every frame's duration; (2) a fling of 4,000 px per frame to the end, until all rows are loaded.
  const scroll = await page.evaluate(async ({ rowPrefix, scrollTestId, countTestId, countLabel }) => {
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
      const label = document.querySelector(`[data-testid="${countTestId}"]`)?.textContent ?? "";
      const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 2;
      if ((label === countLabel && atEnd) || performance.now() - flingStart > 120_000) break;
    }
    return {
      idle: { p50: pctOf(idle, 0.5), p95: pctOf(idle, 0.95) },
      steady: { frames: frames.length, p50: pct(0.5), p95: pct(0.95), max: frames[frames.length - 1] },
      flingToEndMs: performance.now() - flingStart,
      maxRowsInDom,
      loaded: document.querySelector(`[data-testid="${countTestId}"]`)?.textContent,
    };
  }, { rowPrefix: table.rowPrefix, scrollTestId: table.scrollTestId, countTestId: table.countTestId, countLabel: table.countLabel(COUNT) });
  return { firstRowsMs, firstContentfulPaintMs: fcp, scroll };
}

