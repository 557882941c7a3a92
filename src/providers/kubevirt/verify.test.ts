// The verifyVolume contract against the KubeVirt target: the test API server, landfall's image server and the
// test harness's simulated CDI importer (test/harness/kube-apiserver/cluster-sim.ts), which downloads over HTTPS,
// checks the checksum and stores the bytes. The damage: an image server that serves the file with one byte
// flipped while the DataVolume carries the true sha256.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { flippingImageServer } from "../../../test/harness/flipping-image-server.ts";
import { startClusterSimulation } from "../../../test/harness/kube-apiserver/cluster-sim.ts";
import { startKubeApiServer } from "../../../test/harness/kube-apiserver/server.ts";
import { selfSignedCert } from "../../../test/harness/tls-cert.ts";
import { kubeConfigFor } from "../../store/kubernetes/kubeconfig.ts";
import { runVolumeVerificationContract } from "../volume-verification.contract.ts";
import { type ImageServer, startImageServer } from "./image-server.ts";
import { createKubeVirtTarget, type DiskImports } from "./target.ts";

const sha = async (path: string) => createHash("sha256").update(await readFile(path)).digest("hex");

runVolumeVerificationContract("kubevirt (test API server, simulated CDI importer)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "landfall-kv-verify-"));
  const tls = await selfSignedCert(dir);
  const api = await startKubeApiServer();
  const sim = startClusterSimulation(api, { storageDir: join(dir, "pvcs") });
  const images = await startImageServer({ host: "127.0.0.1", port: 0, ...tls, ca: tls.cert });
  const kubeConfig = kubeConfigFor({ server: api.url, token: api.token });
  const imports = (server: ImageServer): DiskImports => ({
    imageServer: async () => server,
    certConfigMap: "landfall-image-server-ca",
    fileSha256: sha,
    imageSha256: async (path) => `sha256:${await sha(path)}`,
    virtualSize: async (path) => (await readFile(path)).length,
  });
  const target = (server: ImageServer) => createKubeVirtTarget({ kubeConfig, conventions: { prefix: "landfall.dev" }, namespace: "tenant-a", imports: imports(server), pollMs: 50 });
  const provider = target(images);
  const damaging = target(flippingImageServer(images));
  return {
    provider,
    scratchDir: dir,
    importDamaged: (request) => damaging.importDisk(request),
    teardown: async () => {
      await sim.idle();
      sim.stop();
      await Promise.all([images.close(), api.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
});
