// The TargetProvider contract against real libvirtd (qemu:///system) and QEMU, in a throwaway pool under
// /var/lib/landfall-test/<random>/. Two guest boots prove imported and overlay disks really boot.
import { stat } from "node:fs/promises";
import { createLibvirtTarget } from "../../src/providers/libvirt/target.ts";
import { runTargetContract } from "../../src/providers/target.contract.ts";
import { waitForConsole, writeBootDisk } from "../harness/bootdisk.ts";
import { createTempLibvirt, guestBytesSha256, sha256File, TEST_URI } from "../harness/libvirt.ts";

runTargetContract("libvirt", async () => {
  const env = await createTempLibvirt("target");
  return {
    provider: createLibvirtTarget({
      uri: TEST_URI,
      storagePool: env.pool,
      storagePoolPath: env.poolPath,
      consoleLogDir: env.consoleLogDir,
    }),
    namePrefix: env.prefix,
    scratchDir: env.scratchDir,
    writeBootDisk,
    waitForMarker: async (vm, marker, timeoutMs) => {
      if (!vm.consoleLog) throw new Error(`VM ${vm.name} has no console log`);
      await waitForConsole(vm.consoleLog, marker, timeoutMs);
    },
    guestSha256: guestBytesSha256,
    fileSha256: sha256File,
    fileExists: async (path) => (await stat(path).catch(() => undefined)) !== undefined,
    teardown: env.cleanup,
  };
});
