import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  bytesSummary,
  diskRows,
  disksOf,
  formatBytes,
  formatEta,
  formatRate,
  nextProgressMark,
  type ProgressMark,
  progressBar,
  transferLine,
  transferProgressOf,
} from "./progress.ts";

const GiB = 2 ** 30;

describe("progress rendering", () => {
  it("formats sizes, rates and ETAs", () => {
    assert.equal(formatBytes(0), "0B");
    assert.equal(formatBytes(1023), "1023B");
    assert.equal(formatBytes(1536), "1.5KiB");
    assert.equal(formatBytes(3 * GiB), "3.0GiB");
    assert.equal(formatBytes(-1), "-");
    assert.equal(formatRate(85 * 2 ** 20), "85.0MiB/s");
    assert.equal(formatRate(0), "-");
    assert.equal(formatRate(undefined), "-");
    assert.equal(formatEta(21.2), "22s");
    assert.equal(formatEta(185), "3m05s");
    assert.equal(formatEta(3720), "1h02m");
    assert.equal(formatEta(undefined), "-");
  });

  it("draws bars clamped to their width", () => {
    assert.equal(progressBar(10, 0), "[----------]");
    assert.equal(progressBar(10, 0.42), "[####------]");
    assert.equal(progressBar(10, 1), "[##########]");
    assert.equal(progressBar(4, 7), "[####]");
    assert.equal(progressBar(4, Number.NaN), "[----]");
  });

  it("summarises bytes as percent and done/total", () => {
    assert.equal(bytesSummary(1.26 * GiB, 3 * GiB), "42% 1.3GiB/3.0GiB");
    assert.equal(bytesSummary(3 * GiB, 3 * GiB), "100% 3.0GiB/3.0GiB");
    assert.equal(bytesSummary(5, 0), "-");
    assert.equal(bytesSummary(undefined, 10), "-");
  });

  it("reads status.progress and status.disks defensively", () => {
    assert.equal(transferProgressOf(undefined), undefined);
    assert.equal(transferProgressOf({ progress: { bytesDone: 1, bytesTotal: 0 } }), undefined);
    assert.deepEqual(transferProgressOf({ progress: { bytesDone: 1, bytesTotal: 4, bytesPerSecond: 2 } }), {
      bytesDone: 1,
      bytesTotal: 4,
      bytesPerSecond: 2,
      etaSeconds: undefined,
    });
    assert.deepEqual(disksOf({ disks: [{ diskID: "d0", sizeBytes: 8, bytesDone: 2, state: "Transferring" }, { nope: true }, null] }), [
      { diskID: "d0", sizeBytes: 8, bytesDone: 2, state: "Transferring" },
    ]);
  });

  it("prints a transfer line with rate and ETA only while bytes remain", () => {
    const running = transferLine("Transferring", { bytesDone: GiB, bytesTotal: 4 * GiB, bytesPerSecond: 100 * 2 ** 20, etaSeconds: 30 }, 8);
    assert.equal(running, "Transferring [##------] 25% 1.0GiB/4.0GiB 100.0MiB/s ETA 30s");
    assert.equal(transferLine("Converting", { bytesDone: GiB, bytesTotal: GiB, bytesPerSecond: 5, etaSeconds: 0 }, 4), "Converting [####] 100% 1.0GiB/1.0GiB");
    assert.equal(transferLine("Pending", undefined), "Pending");
  });

  it("gives one table row per disk", () => {
    assert.deepEqual(diskRows([{ diskID: "disk-2000", sizeBytes: 2048, bytesDone: 512, state: "Transferring" }], 4), [
      ["disk-2000", "2.0KiB", "[#---] 25%", "512B", "Transferring"],
    ]);
    assert.deepEqual(diskRows([{ diskID: "d", sizeBytes: 0, bytesDone: 0 }], 4), [["d", "-", "-", "0B", "-"]]);
  });

  it("off a TTY, prints on phase changes and each new 10% step only", () => {
    const total = 1000;
    let mark: ProgressMark | undefined;
    const printed: string[] = [];
    const feed = (phase: string, done?: number) => {
      const next = nextProgressMark(mark, phase, done === undefined ? undefined : { bytesDone: done, bytesTotal: total });
      if (next) {
        mark = next;
        printed.push(`${phase}:${done ?? "-"}`);
      }
    };
    feed("Pending");
    feed("Pending");
    feed("Transferring", 0);
    for (let d = 10; d <= 1000; d += 10) feed("Transferring", d);
    feed("Converting", 1000);
    feed("Converting", 1000);
    assert.deepEqual(printed, [
      "Pending:-",
      "Transferring:0",
      ...Array.from({ length: 10 }, (_, i) => `Transferring:${(i + 1) * 100}`),
      "Converting:1000",
    ]);
  });
});
