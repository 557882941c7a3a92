// Benchmark (not a test): the control plane at fleet size, measured at the HTTP API of a real `bin/landfall serve`.
// 10,000 VirtualMachines and 1,000 VMMigrations are written into the data directory's store first (directly, to
// keep set-up short), then:
//   - `get virtualmachines` latency (p50/p99): the whole list, and every page of a limit=500 walk;
//   - watch fan-out: 50 watchers while 1,000 objects change; the time until the slowest has seen every event;
//   - one reconcile of everything: a server with all controllers started on that store, until every object
//     carries the status its controller writes (their providers do not exist, so each reconcile is landfall's
//     own work: read, decide, write status, never libvirt's);
//   - the server's peak RSS (VmHWM) in both runs.
//   node bench/control-plane.ts [--vms 10000] [--migrations 1000] [--watchers 50] [--parts api,reconcile] [--cpu-prof DIR]
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadSecretKey } from "../src/compose/embedded.ts";
import { type ServeProcess, startServeProcess } from "../src/compose/serve-process.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";

const { values } = parseArgs({ options: { vms: { type: "string", default: "10000" }, migrations: { type: "string", default: "1000" }, watchers: { type: "string", default: "50" }, "cpu-prof": { type: "string" }, parts: { type: "string", default: "api,reconcile" } } });
const VMS = Number(values.vms);
const MIGRATIONS = Number(values.migrations);
const WATCHERS = Number(values.watchers);
const NS = "fleet";
const G = `/apis/landfall.dev/v1beta1/namespaces/${NS}`;

const vmHWM = async (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? Number.NaN;

async function populate(dataDir: string): Promise<void> {
  const store = await openSqliteStore({ path: join(dataDir, "landfall.db"), secretKey: await loadSecretKey(dataDir) });
  try {
    for (let i = 0; i < VMS; i++) {
      await store.create({
        apiVersion: "landfall.dev/v1beta1",
        kind: "VirtualMachine",
        metadata: { name: `vm-${String(i).padStart(5, "0")}`, namespace: NS, labels: { app: `app-${i % 100}` } },
        spec: { providerRef: { name: "kvm" }, cpus: 2, memoryMiB: 2048, importedDisk: { diskID: `vm-${i}-disk0`, path: `/pool/vm-${i}.qcow2`, format: "qcow2", sizeGiB: 20 } },
      });
    }
    for (let i = 0; i < MIGRATIONS; i++) {
      await store.create({
        apiVersion: "landfall.dev/v1beta1",
        kind: "VMMigration",
        metadata: { name: `mig-${String(i).padStart(4, "0")}`, namespace: NS },
        spec: { source: { providerRef: { name: "vcenter" }, vmName: `src-${i}` }, target: { providerRef: { name: "kvm" } } },
      });
    }
  } finally {
    await store.close();
  }
}

async function get(srv: ServeProcess, path: string): Promise<{ ms: number; body: { items: Array<{ status?: Record<string, unknown> }>; metadata: { continue?: string; resourceVersion?: string } } }> {
  const t0 = performance.now();
  const res = await fetch(`${srv.url}${path}`, { headers: { authorization: `Bearer ${srv.adminToken}` } });
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as never;
  return { ms: performance.now() - t0, body };
}

async function latencies(srv: ServeProcess): Promise<void> {
  const full: number[] = [];
  for (let i = 0; i < 20; i++) full.push((await get(srv, `${G}/virtualmachines`)).ms);
  const pages: number[] = [];
  for (let walk = 0; walk < 3; walk++) {
    let cont: string | undefined;
    do {
      const r = await get(srv, `${G}/virtualmachines?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`);
      pages.push(r.ms);
      cont = r.body.metadata.continue;
    } while (cont);
  }
  console.log(`FIGURE get virtualmachines, whole list of ${VMS} (goal p99 < 200 ms): p50 ${pct(full, 50).toFixed(0)} ms, p99 ${pct(full, 99).toFixed(0)} ms (${full.length} requests)`);
  console.log(`FIGURE get virtualmachines, pages of 500 (goal p99 < 200 ms): p50 ${pct(pages, 50).toFixed(0)} ms, p99 ${pct(pages, 99).toFixed(0)} ms (${pages.length} requests)`);
}

async function fanOut(srv: ServeProcess): Promise<void> {
  const rv = (await get(srv, `${G}/virtualmachines?limit=1`)).body.metadata.resourceVersion;
  const ac = new AbortController();
  const CHANGES = 1000;
  const seen = Array.from({ length: WATCHERS }, () => 0);
  const done: Promise<void>[] = [];
  for (let w = 0; w < WATCHERS; w++) {
    const res = await fetch(`${srv.url}${G}/virtualmachines?watch=true&resourceVersion=${rv}`, { headers: { authorization: `Bearer ${srv.adminToken}` }, signal: ac.signal });
    done.push(
      (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          seen[w]! += (decoder.decode(chunk, { stream: true }).match(/\n/g) ?? []).length;
          if (seen[w]! >= CHANGES) return;
        }
      })(),
    );
  }
  const t0 = performance.now();
  for (let i = 0; i < CHANGES; i++) {
    const name = `vm-${String(i).padStart(5, "0")}`;
    const res = await fetch(`${srv.url}${G}/virtualmachines/${name}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${srv.adminToken}`, "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ metadata: { labels: { touched: "yes" } } }),
    });
    if (!res.ok) throw new Error(`PATCH ${name}: HTTP ${res.status}`);
  }
  const writes = performance.now() - t0;
  await Promise.all(done);
  const all = performance.now() - t0;
  ac.abort();
  console.log(`FIGURE watch fan-out, ${WATCHERS} watchers × ${CHANGES} changes: writes took ${(writes / 1000).toFixed(1)} s, the slowest watcher had every event ${((all - writes) / 1000).toFixed(2)} s after the last write`);
}

async function reconcileAll(dataDir: string): Promise<void> {
  const t0 = performance.now();
  // The server prints its URL once its controllers have started (each lists its kind first): allow minutes.
  const srv = await startServeProcess({ dataDir, env: { LANDFALL_LOG_LEVEL: "warn" }, timeoutMs: 300_000 });
  try {
    for (;;) {
      let pending = 0;
      for (const plural of ["virtualmachines", "vmmigrations"]) {
        let cont: string | undefined;
        do {
          const r = await get(srv, `${G}/${plural}?limit=1000${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`);
          pending += r.body.items.filter((o) => !o.status?.conditions).length;
          cont = r.body.metadata.continue;
        } while (cont);
      }
      if (pending === 0) break;
      if (performance.now() - t0 > 600_000) throw new Error(`${pending} objects still without status after 10 min`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    console.log(`FIGURE one reconcile of everything, ${VMS} VirtualMachines + ${MIGRATIONS} VMMigrations (goal < 60 s): ${((performance.now() - t0) / 1000).toFixed(1)} s from server start`);
    console.log(`FIGURE peak RSS of landfall serve reconciling them (goal < 300 MiB): ${(await vmHWM(srv.child.pid!)).toFixed(0)} MiB`);
  } catch (err) {
    console.error(`server exit ${srv.child.exitCode ?? srv.child.signalCode ?? "(running)"}; output:\n${srv.output().slice(-6000)}`);
    throw err;
  } finally {
    await srv.stop();
  }
}

async function apiFigures(dataDir: string, env: Record<string, string>): Promise<void> {
  const api = await startServeProcess({ dataDir, args: ["--controllers", "none"], env });
  try {
    await latencies(api);
    await fanOut(api);
    console.log(`FIGURE peak RSS of landfall serve (API only) through the lists and the fan-out (goal < 300 MiB): ${(await vmHWM(api.child.pid!)).toFixed(0)} MiB`);
  } catch (err) {
    console.error(`server output:\n${api.output().slice(-4000)}`);
    throw err;
  } finally {
    api.child.kill("SIGTERM");
    await new Promise<void>((resolve) => (api.child.exitCode !== null ? resolve() : api.child.once("exit", () => resolve())));
    await api.stop();
  }
}

async function main(): Promise<void> {
  console.log(`load average at start ${(await readFile("/proc/loadavg", "utf8")).split(" ")[0]}; date ${new Date().toISOString()}`);
  const dataDir = await mkdtemp(join(tmpdir(), "landfall-bench-fleet-"));
  try {
    const t0 = performance.now();
    await populate(dataDir);
    console.log(`store populated with ${VMS} VirtualMachines and ${MIGRATIONS} VMMigrations in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const parts = values.parts.split(",");
    const env: Record<string, string> = values["cpu-prof"] ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${values["cpu-prof"]} --cpu-prof-name=serve-api.cpuprofile` } : {};
    if (parts.includes("api")) await apiFigures(dataDir, env);
    if (parts.includes("reconcile")) await reconcileAll(dataDir);
    console.log("NOT MEASURED adoption of 10,000 discovered VMs: the libvirt URI allow-list admits only test:///default (one domain), and no fake target exists outside test code");
    console.log(`load average at end ${(await readFile("/proc/loadavg", "utf8")).split(" ")[0]}`);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench failed: ${(err as Error).stack}`);
  process.exit(1);
});
