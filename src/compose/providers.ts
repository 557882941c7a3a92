// Which provider implementations landfall builds for each Provider spec.type, and their defaults.
import { join } from "node:path";
import { libvirtStorage } from "../api/libvirt-pools.ts";
import type { ProviderFactories } from "../controllers/provider/clients.ts";
import { createLibvirtTarget } from "../providers/libvirt/target.ts";
import { createVsphereSource } from "../providers/vsphere/index.ts";
import type { ImageServerStarter } from "./kubevirt-target.ts";

export interface ProviderFactoryOptions {
  dataDir: string;
  /** Annotation/label prefix of the conventions (landfall.dev, cozystack.io). */
  prefix?: string;
  /** The image server KubeVirt targets import from (default: imageServerFromEnv). */
  imageServer?: ImageServerStarter;
}

export function providerFactories(opts: ProviderFactoryOptions): ProviderFactories {
  // The KubeVirt target and the Kubernetes client under it (~870 modules) load with the first kubevirt Provider:
  // a server with none never pays their memory. One image server for all of them.
  let imageServer = opts.imageServer;
  return {
    source: {
      vsphere: (cfg) => {
        if (!cfg.spec.endpoint) throw new Error(`Provider "${cfg.name}": spec.endpoint is required for type vsphere (e.g. https://vcenter.example/sdk)`);
        if (!cfg.username || !cfg.password) {
          throw new Error(`Provider "${cfg.name}": spec.credentialsRef must name a Secret with username and password`);
        }
        return createVsphereSource({
          endpoint: cfg.spec.endpoint,
          username: cfg.username,
          password: cfg.password,
          tls: cfg.spec.tls,
          datacenter: cfg.spec.datacenter,
          transport: cfg.spec.transport,
        });
      },
    },
    target: {
      libvirt: (cfg) => {
        const { pool, path } = libvirtStorage(cfg.spec);
        return createLibvirtTarget({
          uri: cfg.spec.uri ?? "qemu:///system",
          storagePool: pool,
          storagePoolPath: path,
          storagePools: cfg.spec.storagePools,
          consoleLogDir: join(opts.dataDir, "console"),
          virtType: cfg.spec.virtType,
        });
      },
      kubevirt: async (cfg) => {
        const { imageServerFromEnv, kubeVirtTargetFor } = await import("./kubevirt-target.ts");
        imageServer ??= imageServerFromEnv(opts.dataDir);
        return kubeVirtTargetFor(cfg, { dataDir: opts.dataDir, prefix: opts.prefix ?? "landfall.dev", imageServer });
      },
    },
  };
}
