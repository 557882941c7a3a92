// Dashboard at fleet scale: a real `landfall serve` (no controllers, no hypervisor) holding N VirtualMachines
// created through the API, and Debian's Chromium (playwright-core) measuring how long the Virtual machines page
// takes to show its first rows, how long its frames take in a steady scroll, and how long a fling to the end
// takes (pages of 500 fetched as it goes).
// Usage: node bench/dashboard.ts [--vms 10000] [--json]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startServeProcess } from "../src/compose/serve-process.ts";
import { launchChromium } from "../test/harness/chromium.ts";

const { values } = parseArgs({ options: { vms: { type: "string", default: "10000" }, json: { type: "boolean", default: false } } });
const COUNT = Number(values.vms);
if (!Number.isInteger(COUNT) || COUNT < 1) throw new Error(`--vms ${values.vms} must be a positive integer`);
const NAMESPACES = ["default", "prod", "staging", "dev"];
const PARALLEL = 16;

const srv = await startServeProcess({ args: ["--controllers", "none"] });
const profileDir = await mkdtemp(join(tmpdir(), "landfall-bench-chromium-"));
try {
  const createStart = performance.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < COUNT; i = next++) {
      const namespace = NAMESPACES[i % NAMESPACES.length];
      const res = await fetch(`${srv.url}/apis/landfall.dev/v1beta1/namespaces/${namespace}/virtualmachines`, {
        method: "POST",
        headers: { authorization: `Bearer ${srv.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({
          apiVersion: "landfall.dev/v1beta1",
          kind: "VirtualMachine",
          metadata: { name: `vm-${String(i).padStart(5, "0")}`, namespace, annotations: { "landfall.dev/migrated-from": `vsphere/vcenter/vm-${i}` } },
          spec: { providerRef: { name: "kvm" }, imageRef: { name: "debian-12" }, cpus: 1 + (i % 4), memoryMiB: 512 * (1 + (i % 8)), powerState: i % 3 ? "On" : "Off" },
        }),
      });
      if (res.status !== 201) throw new Error(`create vm ${i}: ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  const createMs = performance.now() - createStart;

  const { context, page } = await launchChromium(profileDir);
  page.setDefaultTimeout(60_000);
  await page.goto(`${srv.url}/overview`);
  await page.getByLabel("API token").fill(srv.adminToken);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();

  // First paint: a fresh load of the page (no cache of the list) until its first row is on screen.
  const paintStart = performance.now();
  await page.goto(`${srv.url}/virtualmachines`);
  await page.locator('[data-testid^="vm-row-"]').first().waitFor();
  const firstRowsMs = performance.now() - paintStart;
  const fcp = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null);

  // Scroll, in the page: (1) a steady scroll of 300 frames at 100 px per frame (6,000 px/s, a fast wheel),
  // recording every frame's duration; (2) a fling of 4,000 px per frame to the end, until all COUNT rows are loaded.
  const scroll = await page.evaluate(async (count: number) => {
    const box = document.querySelector('[data-testid="vm-scroll"]') as HTMLElement;
    const frame = () => new Promise<number>((r) => requestAnimationFrame(r));
    const rowsInDom = () => box.querySelectorAll('tr[data-testid^="vm-row-"]').length;
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
      const label = document.querySelector('[data-testid="vm-count"]')?.textContent ?? "";
      const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 2;
      if ((label === `${count} VMs` && atEnd) || performance.now() - flingStart > 120_000) break;
    }
    return {
      idle: { p50: pctOf(idle, 0.5), p95: pctOf(idle, 0.95) },
      steady: { frames: frames.length, p50: pct(0.5), p95: pct(0.95), max: frames[frames.length - 1] },
      flingToEndMs: performance.now() - flingStart,
      maxRowsInDom,
      loaded: document.querySelector('[data-testid="vm-count"]')?.textContent,
    };
  }, COUNT);
  await context.close();

  const result = { vms: COUNT, createSeconds: createMs / 1000, firstRowsMs, firstContentfulPaintMs: fcp, scroll };
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(`${COUNT} VirtualMachines created through the API in ${(createMs / 1000).toFixed(1)} s`);
    console.log(`first rows on screen: ${firstRowsMs.toFixed(0)} ms after navigation (first contentful paint ${fcp === null ? "n/a" : `${fcp.toFixed(0)} ms`})`);
    const st = scroll.steady;
    console.log(`steady scroll (${st.frames} frames at 100 px): frame p50 ${st.p50.toFixed(1)} ms, p95 ${st.p95.toFixed(1)} ms, max ${st.max.toFixed(0)} ms (same page idle: p50 ${scroll.idle.p50.toFixed(1)} ms, p95 ${scroll.idle.p95.toFixed(1)} ms)`);
    console.log(`fling to the end, fetching pages of 500 as it goes (${scroll.loaded} loaded): ${(scroll.flingToEndMs / 1000).toFixed(1)} s; at most ${scroll.maxRowsInDom} rows in the DOM`);
  }
} finally {
  await srv.stop();
  await rm(profileDir, { recursive: true, force: true });
}
