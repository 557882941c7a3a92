// Benchmark (not a test): a Table of 10,000 VirtualMachines in process (sqlite store in memory), built from whole
// parsed objects (store.list, the path Tables took before) and from the columns' stored fields (store.listFields,
// what the server does now), each including JSON.stringify of the Table; and listJson for scale.
//   node bench/table-fields.ts [--vms 10000] [--status]   (--status: each VM carries a ~1.5 KB status)
import { parseArgs } from "node:util";
import { KINDS } from "../src/api/kinds.ts";
import { tableFields, tableFor } from "../src/server/table.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";

const { values } = parseArgs({ options: { vms: { type: "string", default: "10000" }, status: { type: "boolean", default: false } } });
const NS = "fleet";
const store = await openSqliteStore({ path: ":memory:" });
const vm = (i: number) => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "VirtualMachine",
  metadata: { name: `vm-${String(i).padStart(5, "0")}`, namespace: NS, labels: { app: `app-${i % 100}` } },
  spec: { providerRef: { name: "kvm" }, cpus: 2, memoryMiB: 2048, importedDisk: { diskID: `vm-${i}-disk0`, path: `/pool/vm-${i}.qcow2`, format: "qcow2", sizeGiB: 20 } },
});
const status = (i: number) => ({
  phase: "Running",
  providerID: `uuid-${i}`,
  conditions: Array.from({ length: 4 }, (_, c) => ({ type: `C${c}`, status: "True", reason: "AllGood", message: "x".repeat(120), lastTransitionTime: "2026-11-30T08:00:00Z" })),
  disks: Array.from({ length: 3 }, (_, d) => ({ name: `d${d}`, path: `/pool/vm-${i}-${d}.qcow2`, sha256: "a".repeat(64), sizeBytes: 21474836480 })),
});
const ids = Array.from({ length: Number(values.vms) }, (_, i) => i);
for (let i = 0; i < ids.length; i += 500) {
  await Promise.all(
    ids.slice(i, i + 500).map(async (n) => {
      const created = await store.create(vm(n));
      if (values.status) await store.updateStatus({ ...created, status: status(n) });
    }),
  );
}
const info = KINDS.find((k) => k.kind === "VirtualMachine")!;
const fields = tableFields(info);
const time = async (build: () => Promise<unknown>) => {
  const t0 = performance.now();
  JSON.stringify(await build());
  return performance.now() - t0;
};
const whole: number[] = [];
const reduced: number[] = [];
for (let r = 0; r < 7; r++) {
  whole.push(await time(async () => tableFor(info, (await store.list("VirtualMachine", { namespace: NS })).items, { includeObject: "Metadata", now: new Date() })));
  reduced.push(await time(async () => tableFor(info, (await store.listFields("VirtualMachine", fields, { namespace: NS })).items, { includeObject: "Metadata", now: new Date() })));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`FIGURE Table of ${ids.length} VMs${values.status ? " with a status" : ""}, in process: from whole objects median ${median(whole).toFixed(0)} ms (${Math.min(...whole).toFixed(0)}–${Math.max(...whole).toFixed(0)}), from stored fields median ${median(reduced).toFixed(0)} ms (${Math.min(...reduced).toFixed(0)}–${Math.max(...reduced).toFixed(0)})`);
await store.close();
