import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChangedArea, DiskReader, ExportSession, SourceDisk, SourceProvider } from "../../providers/contract.ts";
import { sourceAllocation } from "./copy-disk.ts";
import type { StepContext } from "./step-context.ts";

const disk = { key: 2000, label: "Hard disk 1", fileName: "[ds] vm/vm.vmdk", capacityBytes: 1 << 30 } as SourceDisk;
const session = (snapshotID?: string): ExportSession => ({ vmID: "vm-1", mode: snapshotID ? "snapshot" : "cold", powerStateBefore: "poweredOn", poweredOffByExport: false, disks: [disk], ...(snapshotID ? { snapshotID } : {}) });
const fromSource: ChangedArea[] = [{ start: 0, length: 65536 }];
const fromLayers: ChangedArea[] = [{ start: 4096, length: 4096 }];

function fixture(opts: { source?: () => Promise<ChangedArea[]>; layers?: () => Promise<ChangedArea[]> }) {
  const logs: string[] = [];
  const asked: string[] = [];
  const ctx = { log: (m: string) => logs.push(m), signal: new AbortController().signal } as unknown as StepContext;
  const queryChangedAreas = (_s: ExportSession, _d: SourceDisk, since: string) => {
    asked.push(since);
    return (opts.source ?? (async () => fromSource))();
  };
  const source = { queryChangedAreas } as unknown as SourceProvider;
  const reader = { sizeBytes: disk.capacityBytes, readRange: async function* () {}, close: async () => {}, ...(opts.layers ? { allocatedAreas: opts.layers } : {}) } as DiskReader;
  return { ctx, source, reader, logs, asked };
}

test("the source's answer to changeId * wins, from a snapshot and from a cold export's powered-off disk", async () => {
  for (const s of [session("snapshot-1"), session()]) {
    const f = fixture({ layers: async () => fromLayers });
    assert.deepEqual(await sourceAllocation(f.ctx, f.source, s, disk, f.reader), fromSource);
    assert.deepEqual(f.asked, ["*"]);
    assert.match(f.logs.join("\n"), /the source reports 65536 of 1073741824 bytes allocated/);
  }
  const g = fixture({ layers: async () => fromLayers });
  const noTracking = { ...g.source, queryChangedAreas: undefined } as SourceProvider;
  assert.deepEqual(await sourceAllocation(g.ctx, noTracking, session(), disk, g.reader), fromLayers, "a source that cannot say leaves it to the layers");
});

test("a source that refuses (tracking off) falls back to the layers; layers that cannot say mean every byte is read", async () => {
  const refused = async (): Promise<ChangedArea[]> => {
    throw new Error("changed block tracking is not enabled");
  };
  const f = fixture({ source: refused, layers: async () => fromLayers });
  assert.deepEqual(await sourceAllocation(f.ctx, f.source, session("snapshot-1"), disk, f.reader), fromLayers);
  assert.match(f.logs.join("\n"), /does not report allocation \(changed block tracking is not enabled\)/);
  const g = fixture({ source: refused, layers: async () => Promise.reject(new Error("qemu-img map failed")) });
  assert.equal(await sourceAllocation(g.ctx, g.source, session("snapshot-1"), disk, g.reader), undefined);
  assert.match(g.logs.join("\n"), /allocation is unknown \(qemu-img map failed\); every byte is read/);
  const h = fixture({ source: refused });
  assert.equal(await sourceAllocation(h.ctx, h.source, session("snapshot-1"), disk, h.reader), undefined);
});
