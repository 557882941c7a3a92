// Builds the KubeVirt target for a Provider of type kubevirt: the cluster from the kubeconfigRef Secret (or the
// pod's service account in a cluster), the namespace, the storage class, a local staging directory under the data
// dir, and disk imports through landfall's HTTPS image server (one per process, started on first use).
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import type { ProviderConfig } from "../controllers/provider/clients.ts";
import { imageInfo } from "../disk/convert.ts";
import { imageSha256 } from "../disk/checksum.ts";
import type { TargetProvider } from "../providers/contract.ts";
import { type ImageServer, startImageServer } from "../providers/kubevirt/image-server.ts";
import { createKubeVirtTarget } from "../providers/kubevirt/target.ts";
import { ensureServingCertificate } from "../server/local-ca.ts";
import { parseListen } from "./listen.ts";

/** The ConfigMap (in the target namespace) holding the image server's CA, named by every DataVolume. */
export const IMAGE_CA_CONFIGMAP = "landfall-image-server-ca";

export type ImageServerStarter = () => Promise<ImageServer>;

/**
 * The production image server: LANDFALL_IMAGE_LISTEN (HOST:PORT, default 127.0.0.1:0) with a certificate from a
 * local CA in <dataDir>/pki-images; LANDFALL_IMAGE_URL is the URL the cluster's importers reach it at (default:
 * the bound address).
 */
export function imageServerFromEnv(dataDir: string, env: NodeJS.ProcessEnv = process.env): ImageServerStarter {
  let started: Promise<ImageServer> | undefined;
  return () => {
    started ??= (async () => {
      const listen = parseListen(env.LANDFALL_IMAGE_LISTEN ?? "127.0.0.1:0");
      const publicHost = env.LANDFALL_IMAGE_URL ? new URL(env.LANDFALL_IMAGE_URL).hostname.replace(/^\[|\]$/g, "") : listen.host;
      const tls = await ensureServingCertificate(join(dataDir, "pki-images"), publicHost);
      return startImageServer({ host: listen.host, port: listen.port, cert: tls.cert, key: tls.key, ca: tls.ca, ...(env.LANDFALL_IMAGE_URL ? { publicURL: env.LANDFALL_IMAGE_URL } : {}) });
    })();
    started.catch(() => {
      started = undefined; // a failed start (port in use) is tried again by the next import
    });
    return started;
  };
}

/** The cluster a kubevirt Provider names: its kubeconfigRef's kubeconfig, else in-cluster, else an error saying what to set. */
export function kubeConfigOf(cfg: ProviderConfig, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  if (cfg.kubeconfig) {
    try {
      kc.loadFromString(cfg.kubeconfig);
    } catch (err) {
      throw new Error(`Provider "${cfg.name}": spec.kubeconfigRef: the Secret's kubeconfig cannot be read (${(err as Error).message}); store a valid kubeconfig under stringData.kubeconfig`);
    }
    return kc;
  }
  if (!env.KUBERNETES_SERVICE_HOST) {
    throw new Error(`Provider "${cfg.name}": spec.kubeconfigRef is required outside a cluster: name a Secret whose key kubeconfig holds the cluster's kubeconfig`);
  }
  kc.loadFromCluster();
  return kc;
}

export function kubeVirtTargetFor(cfg: ProviderConfig, opts: { dataDir: string; prefix: string; imageServer: ImageServerStarter }): TargetProvider {
  return createKubeVirtTarget({
    kubeConfig: kubeConfigOf(cfg),
    conventions: { prefix: opts.prefix },
    namespace: cfg.spec.namespace ?? cfg.namespace,
    ...(cfg.spec.storageClass ? { storageClass: cfg.spec.storageClass } : {}),
    stagingDir: join(opts.dataDir, "kubevirt-staging"),
    imports: {
      imageServer: opts.imageServer,
      certConfigMap: IMAGE_CA_CONFIGMAP,
      fileSha256: async (path) => (await imageSha256(path, "raw")).slice("sha256:".length),
      imageSha256: (path, format) => imageSha256(path, format),
      virtualSize: async (path, format) => (await imageInfo(path, { format })).virtualSizeBytes,
    },
  });
}
