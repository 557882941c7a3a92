// Benchmark (not a test): the control plane at fleet size, measured at the HTTP API of a real `bin/landfall serve`.
// 10,000 VirtualMachines and 1,000 VMMigrations are written into the data directory's store first (directly, to
// keep set-up short), then:
//   - `get virtualmachines` latency (p50/p99): the whole list, and every page of a limit=500 walk;
//   - watch fan-out: 50 watchers while 1,000 objects change; the time until the slowest has seen every event;
//   - one reconcile of everything: a server with all controllers started on that store, until every object
//     carries the status its controller writes (their providers do not exist, so each reconcile is landfall's
//     own work: read, decide, write status, never libvirt's);
//   - idle churn after that pass: VirtualMachine reconciles per second over --idle-seconds, starting
//     --idle-after seconds after the pass, while nothing changes
//     (their Provider is missing: each is woken by the Provider's creation, so its poll backs off);
//   - the server's peak RSS (VmHWM) in both runs.
//   node bench/control-plane.ts [--vms 10000] [--migrations 1000] [--watchers 50] [--parts api,reconcile,adopt] [--cpu-prof DIR]
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadSecretKey } from "../src/compose/embedded.ts";
import { type ServeProcess, startServeProcess } from "../src/compose/serve-process.ts";
import { DEFAULT_CONVENTIONS } from "../src/api/conventions.ts";
import { AdoptionService } from "../src/controllers/adoption/service.ts";
import { ProviderClients } from "../src/controllers/provider/clients.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import { fleetTarget } from "./fleet-target.ts";

const { values } = parseArgs({ options: { vms: { type: "string", default: "10000" }, migrations: { type: "string", default: "1000" }, watchers: { type: "string", default: "50" }, "cpu-prof": { type: "string" }, parts: { type: "string", default: "api,reconcile,adopt" }, "idle-seconds": { type: "string", default: "60" }, "idle-after": { type: "string", default: "60" } } });
const VMS = Number(values.vms);
const MIGRATIONS = Number(values.migrations);
const WATCHERS = Number(values.watchers);
const NS = "fleet";
const ADOPT_NS = "adopted";
const G = `/apis/landfall.dev/v1beta1/namespaces/${NS}`;

const vmHWM = async (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? Number.NaN;

async function populate(dataDir: string): Promise<void> {
  const store = await openSqliteStore({ path: join(dataDir, "landfall.db"), secretKey: await loadSecretKey(dataDir) });
  const vm = (i: number) => ({
    apiVersion: "landfall.dev/v1beta1",
    kind: "VirtualMachine",
    metadata: { name: `vm-${String(i).padStart(5, "0")}`, namespace: NS, labels: { app: `app-${i % 100}` } },
    spec: { providerRef: { name: "kvm" }, cpus: 2, memoryMiB: 2048, importedDisk: { diskID: `vm-${i}-disk0`, path: `/pool/vm-${i}.qcow2`, format: "qcow2", sizeGiB: 20 } },
  });
  const migration = (i: number) => ({
    apiVersion: "landfall.dev/v1beta1",
    kind: "VMMigration",
    metadata: { name: `mig-${String(i).padStart(4, "0")}`, namespace: NS },
    spec: { source: { providerRef: { name: "vcenter" }, vmName: `src-${i}` }, target: { providerRef: { name: "kvm" } } },
  });
  try {
    // Concurrent creates share the store's commits (group commit): set-up time, not a figure.
    const objects = [...Array.from({ length: VMS }, (_, i) => vm(i)), ...Array.from({ length: MIGRATIONS }, (_, i) => migration(i))];
    for (let i = 0; i < objects.length; i += 500) await Promise.all(objects.slice(i, i + 500).map((o) => store.create(o)));
  } finally {
    await store.close();
  }
}

async function storeRevision(dataDir: string): Promise<string> {
  const store = await openSqliteStore({ path: join(dataDir, "landfall.db"), secretKey: await loadSecretKey(dataDir) });
  try {
    return await store.revision();
  } finally {
    await store.close();
  }
}

async function get(srv: ServeProcess, path: string, accept?: string): Promise<{ ms: number; body: { items: Array<{ status?: Record<string, unknown> }>; metadata: { continue?: string; resourceVersion?: string } } }> {
  const t0 = performance.now();
  const res = await fetch(`${srv.url}${path}`, { headers: { authorization: `Bearer ${srv.adminToken}`, ...(accept ? { accept } : {}) } });
  const text = await res.text();
  // The latency is the API's: request sent → last byte received; the client's own parsing comes after.
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${text}`);
  return { ms, body: JSON.parse(text) as never };
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
  // What `kubectl get` asks for: a Table of the printer columns, built from the stored fields they read.
  const tables: number[] = [];
  for (let i = 0; i < 10; i++) tables.push((await get(srv, `${G}/virtualmachines`, "application/json;as=Table;v=v1;g=meta.k8s.io")).ms);
  // What a list blocks: one object read every 10 ms while whole lists (JSON, then Table) run back to back. A
  // list's synchronous part (the SQLite read; a Table's rows) holds the event loop; the probe waits behind it.
  const probes = async (accept?: string) => {
    let listing = true;
    const lists = (async () => {
      for (let i = 0; i < 5; i++) await get(srv, `${G}/virtualmachines`, accept);
      listing = false;
    })();
    const waits: number[] = [];
    while (listing) {
      waits.push((await get(srv, `${G}/virtualmachines/vm-00042`)).ms);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await lists;
    return waits;
  };
  const beside = await probes();
  const besideTable = await probes("application/json;as=Table;v=v1;g=meta.k8s.io");
  console.log(`FIGURE get virtualmachines, whole list of ${VMS} (goal p99 < 200 ms): p50 ${pct(full, 50).toFixed(0)} ms, p99 ${pct(full, 99).toFixed(0)} ms (${full.length} requests)`);
  console.log(`FIGURE get virtualmachines as a Table (kubectl get), whole list of ${VMS}: p50 ${pct(tables, 50).toFixed(0)} ms, p99 ${pct(tables, 99).toFixed(0)} ms (${tables.length} requests)`);
  console.log(`FIGURE get one virtualmachine while whole lists run: p50 ${pct(beside, 50).toFixed(0)} ms, p99 ${pct(beside, 99).toFixed(0)} ms, max ${Math.max(...beside).toFixed(0)} ms (${beside.length} requests); while Table lists run: p50 ${pct(besideTable, 50).toFixed(0)} ms, p99 ${pct(besideTable, 99).toFixed(0)} ms, max ${Math.max(...besideTable).toFixed(0)} ms (${besideTable.length} requests)`);
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

/** The VirtualMachine controller's reconciles so far, from the server's /metrics. */
async function vmReconciles(srv: ServeProcess): Promise<number> {
  const text = await (await fetch(`${srv.url}/metrics`, { headers: { authorization: `Bearer ${srv.adminToken}` } })).text();
  let total = 0;
  for (const m of text.matchAll(/^landfall_reconcile_total\{[^}]*controller="virtualmachine"[^}]*\} (\d+)/gm)) total += Number(m[1]);
  return total;
}

async function reconcileAll(dataDir: string, env: Record<string, string>): Promise<void> {
  const revisionBefore = await storeRevision(dataDir);
  const t0 = performance.now();
  // The server prints its URL once its controllers have started (each lists its kind first): allow minutes.
  const srv = await startServeProcess({ dataDir, env: { LANDFALL_LOG_LEVEL: "warn", ...env }, timeoutMs: 300_000 });
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
    const took = (performance.now() - t0) / 1000;
    const writes = Number((await get(srv, `${G}/virtualmachines?limit=1`)).body.metadata.resourceVersion) - Number(revisionBefore);
    console.log(`FIGURE one reconcile of everything, ${VMS} VirtualMachines + ${MIGRATIONS} VMMigrations (goal < 60 s): ${took.toFixed(1)} s from server start (${writes} store writes)`);
    console.log(`FIGURE peak RSS of landfall serve reconciling them (goal < 300 MiB): ${(await vmHWM(srv.child.pid!)).toFixed(0)} MiB`);
    const idleSeconds = Number(values["idle-seconds"]);
    const idleAfter = Number(values["idle-after"]);
    await new Promise((r) => setTimeout(r, idleAfter * 1000));
    const before = await vmReconciles(srv);
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const idle = (await vmReconciles(srv)) - before;
    console.log(`FIGURE idle churn after the pass, ${VMS} VirtualMachines whose Provider is missing: ${(idle / idleSeconds).toFixed(1)} reconciles/s over ${idleSeconds} s from ${idleAfter} s after the pass (${idle} reconciles)`);
  } catch (err) {
    console.error(`server exit ${srv.child.exitCode ?? srv.child.signalCode ?? "(running)"}; output:\n${srv.output().slice(-6000)}`);
    throw err;
  } finally {
    await srv.stop();
  }
}

/**
 * Adoption of a fleet: a test-only target (fleet-target.ts) reports VMS domains claimed by one Forklift Plan with
 * adoption enabled; one scan adopts them all (mirror VirtualMachine with status, domain labels, tracking
 * ConfigMap each) into the durable store; a second scan must find nothing to do and write nothing.
 */
async function adoptFleet(dataDir: string): Promise<void> {
  const store = await openSqliteStore({ path: join(dataDir, "landfall.db"), secretKey: await loadSecretKey(dataDir) });
  try {
    await store.create({ apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name: "fleet-kvm", namespace: ADOPT_NS }, spec: { type: "libvirt", uri: "test:///default" } });
    const target = fleetTarget(VMS, join(dataDir, "fleet-pool"), ADOPT_NS);
    const clients = new ProviderClients(store, { source: {}, target: { libvirt: () => target } });
    const noImage = async (path: string) => Promise.reject(new Error(`${path}: the bench's domains have no image files`));
    const service = new AdoptionService({ store, clients, conventions: DEFAULT_CONVENTIONS, log: () => undefined, virtualSize: noImage });
    const t0 = performance.now();
    const adopted = await service.scan(ADOPT_NS, "fleet-kvm");
    const first = (performance.now() - t0) / 1000;
    const vms = (await store.list("VirtualMachine", { namespace: ADOPT_NS })).items;
    const records = (await store.list("ConfigMap", { namespace: ADOPT_NS })).items.length;
    const mirrored = vms.filter((v) => (v.status as { providerID?: string } | undefined)?.providerID).length;
    if (adopted.length !== VMS || vms.length !== VMS || records !== VMS || mirrored !== VMS || target.labelled.size !== VMS) {
      throw new Error(`adoption incomplete: ${adopted.length} decisions, ${vms.length} VirtualMachines (${mirrored} with providerID), ${records} ConfigMaps, ${target.labelled.size} domains labelled of ${VMS}`);
    }
    const before = await store.revision();
    const t1 = performance.now();
    const again = await service.scan(ADOPT_NS, "fleet-kvm");
    const second = (performance.now() - t1) / 1000;
    if (again.length !== 0 || (await store.revision()) !== before) throw new Error(`the second scan adopted ${again.length} and moved the revision ${before} → ${await store.revision()}`);
    console.log(`FIGURE adoption of ${VMS} discovered VMs (goal < 60 s): ${first.toFixed(1)} s for one scan (${VMS} VirtualMachines with status, ${VMS} ConfigMaps, ${VMS} domains labelled; durable store, disk images not inspected); a second scan ${second.toFixed(1)} s, no writes`);
    await clients.close();
  } finally {
    await store.close();
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
    const profiled = (name: string): Record<string, string> => (values["cpu-prof"] ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${values["cpu-prof"]} --cpu-prof-name=${name}.cpuprofile` } : {});
    if (parts.includes("api")) await apiFigures(dataDir, profiled("serve-api"));
    if (parts.includes("reconcile")) await reconcileAll(dataDir, profiled("serve-reconcile"));
    if (parts.includes("adopt")) await adoptFleet(dataDir);
    console.log(`load average at end ${(await readFile("/proc/loadavg", "utf8")).split(" ")[0]}`);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench failed: ${(err as Error).stack}`);
  process.exit(1);
});
