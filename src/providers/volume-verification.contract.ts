// The shared verification part of the TargetProvider contract: verifyVolume proves what a volume holds. Run
// against every target (libvirt: test/e2e/libvirt-target.test.ts against real libvirtd; KubeVirt:
// src/providers/kubevirt/verify.test.ts against the test API server with the simulated CDI importer). A damaged
// import — one byte flipped between landfall and the target's storage, injected by the fixture — must never be
// reported with the source's hash.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ImportDiskRequest, ImportedVolume, TargetProvider } from "./contract.ts";

export interface VolumeVerificationFixture {
  provider: TargetProvider;
  /** Local directory for source images (outside the provider's storage). */
  scratchDir: string;
  /** Imports through `provider` with one byte flipped between landfall and the target's storage. */
  importDamaged(request: ImportDiskRequest): Promise<ImportedVolume>;
  teardown(): Promise<void>;
}

const MiB = 2 ** 20;

export function runVolumeVerificationContract(name: string, setup: () => Promise<VolumeVerificationFixture>): void {
  describe(`TargetProvider contract (verifyVolume): ${name}`, () => {
    let f: VolumeVerificationFixture;
    const run = `${process.pid.toString(36)}${Date.now().toString(36)}`;
    const source = async (label: string) => {
      const bytes = randomBytes(MiB + 512);
      const path = join(f.scratchDir, `verify-${label}-${run}.raw`);
      await writeFile(path, bytes);
      return { path, sha256: `sha256:${createHash("sha256").update(bytes).digest("hex")}` };
    };
    before(async () => {
      f = await setup();
      await f.provider.ensureStorage();
    });
    after(async () => {
      await f?.provider.close();
      await f?.teardown();
    });

    test("verifyVolume of an intact import reports the guest-visible sha256 of the source", async () => {
      const src = await source("intact");
      const volume = await f.provider.importDisk({ diskID: `verify-intact-${run}`, sourcePath: src.path, sourceFormat: "raw", format: "raw" });
      assert.equal(await f.provider.verifyVolume(volume), src.sha256);
    });

    test("verifyVolume of an import damaged on its way never reports the source's sha256", async () => {
      const src = await source("damaged");
      const volume = await f.importDamaged({ diskID: `verify-damaged-${run}`, sourcePath: src.path, sourceFormat: "raw", format: "raw" });
      const outcome = await f.provider.verifyVolume(volume).then(
        (sha256) => ({ sha256 }),
        (error: Error & { code?: string }) => ({ error }),
      );
      if ("sha256" in outcome) assert.notEqual(outcome.sha256, src.sha256, "the damage is visible in the hash");
      else assert.equal(outcome.error.code, "ChecksumMismatch", outcome.error.message);
    });
  });
}
