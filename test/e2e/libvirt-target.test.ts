// The TargetProvider contract against real libvirtd (qemu:///system) and QEMU, in a throwaway pool under
// /var/lib/landfall-test/<random>/. Two guest boots prove imported and overlay disks really boot. The verifyVolume
// part of the contract runs in its own pool.
import { open, stat } from "node:fs/promises";
import { createLibvirtTarget } from "../../src/providers/libvirt/target.ts";
import { runTargetContract } from "../../src/providers/target.contract.ts";
import { runVolumeVerificationContract } from "../../src/providers/volume-verification.contract.ts";
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

// verifyVolume reads the volume back; the damage is a byte flipped in the pool's file after the import.
runVolumeVerificationContract("libvirt", async () => {
  const env = await createTempLibvirt("verify");
  const provider = createLibvirtTarget({ uri: TEST_URI, storagePool: env.pool, storagePoolPath: env.poolPath, consoleLogDir: env.consoleLogDir });
  return {
    provider,
    scratchDir: env.scratchDir,
    importDamaged: async (request) => {
      const volume = await provider.importDisk(request);
      const fh = await open(volume.path, "r+");
      try {
        const b = Buffer.alloc(1);
        await fh.read(b, 0, 1, 4096);
        b[0] ^= 0xff;
        await fh.write(b, 0, 1, 4096);
      } finally {
        await fh.close();
      }
      return volume;
    },
    teardown: env.cleanup,
  };
});
