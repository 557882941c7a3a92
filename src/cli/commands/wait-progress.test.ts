import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubeObject } from "../../api/meta.ts";
import { ProgressReporter } from "./wait-progress.ts";

const MiB = 2 ** 20;
const migration = (phase: string, done?: number): KubeObject => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "VMMigration",
  metadata: { name: "m" },
  status: { phase, ...(done === undefined ? {} : { progress: { bytesDone: done * MiB, bytesTotal: 100 * MiB, bytesPerSecond: 10 * MiB, etaSeconds: (100 - done) / 10 } }) },
});

function run(isTTY: boolean, steps: KubeObject[]): string {
  let out = "";
  const r = new ProgressReporter({ isTTY, columns: 200, write: (t) => (out += t) }, "vmmigration/m");
  for (const s of steps) r.observe(s);
  r.finish();
  return out;
}

const steps = [migration("Pending"), migration("Validating"), ...Array.from({ length: 21 }, (_, i) => migration("Transferring", i * 5)), migration("Converting", 100), migration("Succeeded", 100)];

describe("wait progress", () => {
  it("off a TTY prints one line per phase change and per 10% step", () => {
    const lines = run(false, steps).trimEnd().split("\n");
    assert.equal(lines.length, 2 + 11 + 2);
    assert.equal(lines[0], "vmmigration/m Pending");
    assert.match(lines[2], /^vmmigration\/m Transferring \[-+\] 0% 0B\/100\.0MiB 10\.0MiB\/s ETA 10s$/);
    assert.match(lines[7], /Transferring \[#+-+\] 50% 50\.0MiB\/100\.0MiB/);
    assert.doesNotMatch(lines.join("\n"), /\r/);
  });

  it("on a TTY redraws one line with \\r and ends it once", () => {
    const out = run(true, [...steps, migration("Succeeded", 100)]);
    const frames = out.split("\r").filter(Boolean);
    assert.equal(frames.length, steps.length, "an unchanged object is not redrawn");
    assert.ok(frames.every((f) => f.includes("\x1b[K")));
    assert.equal(out.split("\n").length, 2);
    assert.ok(out.endsWith("Succeeded [########################] 100% 100.0MiB/100.0MiB\x1b[K\n"));
  });
});
