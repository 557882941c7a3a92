// Benchmark (not a test): what guest conversion adds to a migration. Converts the real test guest
// (test/harness/guests/build.sh: VMware-style Debian 12, 1.5 GiB) exactly as the Converting phase does —
// overlay, virt-v2v-in-place, flatten, hash — and reports the time next to the image's build time and size.
//   node bench/guest-conversion.ts [--variant bios|uefi]
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runTool } from "../src/disk/run-tool.ts";
import { convertIntoResult, replaceWithResult } from "../src/guest/conversion-files.ts";
import { guestConversionTools } from "../src/guest/tools.ts";
import { chooseVirtType, probeHost } from "../src/providers/libvirt/accelerator.ts";
import { realGuests } from "../test/harness/guests/guests.ts";

const { values } = parseArgs({ options: { variant: { type: "string", default: "bios" } } });
const guests = await realGuests();
const dir = await mkdtemp(join(tmpdir(), "landfall-bench-guest-"));
try {
  const image = { path: join(dir, "boot.qcow2"), format: "qcow2" };
  await runTool("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", values.variant === "uefi" ? guests.uefi : guests.bios, image.path], { timeoutMs: 600_000 });
  const accelerator = chooseVirtType("auto", await probeHost());
  const tools = guestConversionTools({ forceTcg: async () => accelerator.virtType === "qemu" });
  const t0 = performance.now();
  const verified = await tools.imageSha256(image.path, image.format);
  const tVerify = performance.now();
  const outcome = await convertIntoResult(image, tools);
  await replaceWithResult(image);
  const t1 = performance.now();
  console.log(
    JSON.stringify(
      {
        variant: values.variant,
        libguestfsAccelerator: accelerator.virtType,
        reason: accelerator.reason,
        image: { sizeBytes: guests.sizeBytes, buildSeconds: guests.buildSeconds, qcow2Bytes: (await stat(image.path)).size },
        verifyHashSeconds: Number(((tVerify - t0) / 1000).toFixed(1)),
        conversionSeconds: Number(((t1 - tVerify) / 1000).toFixed(1)),
        addedSeconds: Number(((t1 - t0) / 1000).toFixed(1)),
        verified,
        converted: outcome.resultSha256,
        report: outcome.report,
        loadAverage: (await import("node:os")).loadavg().map((l) => Number(l.toFixed(1))),
      },
      null,
      2,
    ),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
