import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { AuditEntry } from "../api/audit.ts";
import { openAuditLog, parseAuditLines, rotationRenames } from "./audit-log.ts";

const entry = (i: number, time = new Date(Date.parse("2026-11-30T00:00:00Z") + i * 1000).toISOString()): AuditEntry => ({
  time,
  tokenId: "abc",
  tokenName: "ci",
  role: "editor",
  verb: "POST",
  resource: "virtualmachines",
  namespace: "default",
  name: `vm${i}`,
  code: 201,
});

describe("audit log", () => {
  it("rotates by renaming the oldest first", () => {
    assert.deepEqual(rotationRenames("/d/audit.log", 3), [
      ["/d/audit.log.2", "/d/audit.log.3"],
      ["/d/audit.log.1", "/d/audit.log.2"],
      ["/d/audit.log", "/d/audit.log.1"],
    ]);
  });

  it("skips torn lines and entries before `since`", () => {
    const text = `${JSON.stringify(entry(0))}\n{"time":"2026-11-30T00:00:0\n${JSON.stringify(entry(5))}\n`;
    assert.deepEqual(
      parseAuditLines(text, Date.parse("2026-11-30T00:00:01Z")).map((e) => e.name),
      ["vm5"],
    );
  });

  it("appends lines (0600), rotates past the size limit keeping a bounded number of files, and reads across them in order", async () => {
    const dir = await mkdtemp(join(tmpdir(), "landfall-audit-"));
    try {
      const path = join(dir, "audit.log");
      const lineBytes = JSON.stringify(entry(0)).length + 1;
      const log = openAuditLog(path, { maxBytes: lineBytes * 3, keep: 2 });
      await Promise.all(Array.from({ length: 10 }, (_, i) => log.record(entry(i))));
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      for (const f of [path, `${path}.1`, `${path}.2`]) assert.ok((await stat(f)).size <= lineBytes * 3, f);
      await assert.rejects(stat(`${path}.3`), "only `keep` rotated files are kept");
      const all = await log.read(0);
      assert.deepEqual(
        all.map((e) => e.name),
        ["vm3", "vm4", "vm5", "vm6", "vm7", "vm8", "vm9"],
        "three lines per file: vm0-2 rotated away with the oldest file; the rest in order, none torn",
      );
      assert.equal((await readFile(path, "utf8")).split("\n").filter(Boolean).length, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
