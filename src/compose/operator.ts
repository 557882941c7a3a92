// Operator mode: the same controllers as `serve`, over the Kubernetes store (CRDs in a cluster's API server),
// started only while this replica holds the coordination.k8s.io/v1 Lease. No API server of its own: the
// cluster's is the API. A small HTTP listener serves /healthz, /readyz and /metrics.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";
import { Gauge, Registry } from "prom-client";
import { createKubernetesStore } from "../store/kubernetes/store.ts";
import { kubernetesLeaseClient } from "../runtime/kubernetes-lease-client.ts";
import { AlwaysLeader, type LeaderElector, LeaseElector } from "../runtime/leader.ts";
import type { Logger } from "../runtime/logger.ts";
import { conventionsFor } from "./embedded.ts";
import { landfallWiring } from "./landfall.ts";
import { parseListen, urlFor } from "./listen.ts";
import type { Controller, Wire } from "./wiring.ts";

export interface LeaseTiming {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  /** Hold a Lease before running controllers (several replicas); without it this process always leads. */
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  /** Unique per replica (the pod name in a cluster). */
  identity: string;
  leaseTiming?: LeaseTiming;
  /** HOST:PORT of the health and metrics listener; port 0 picks a free one. */
  listen: string;
  /** Scratch space for disk transfers and console logs. */
  dataDir: string;
  preset?: string;
  logger: Logger;
  /**
   * Called when this replica can no longer do its job — the Lease was lost, or a controller failed to start while
   * leading — so that the process exits and is restarted rather than holding the Lease without reconciling.
   */
  onFatal: (reason: string) => void;
  /** Defaults to landfallWiring. */
  wire?: Wire;
}

export interface Operator {
  /** URL of the health and metrics listener. */
  url: string;
  isLeader(): boolean;
  stop(): Promise<void>;
}

export async function startOperator(opts: OperatorOptions): Promise<Operator> {
  const { host, port } = parseListen(opts.listen);
  const store = createKubernetesStore({ kubeConfig: opts.kubeConfig });
  const conventions = conventionsFor(opts.preset);
  const metricsRegistry = new Registry();
  const wiring = await (opts.wire ?? landfallWiring)({ store, conventions, dataDir: opts.dataDir, metricsRegistry });
  const elector: LeaderElector = opts.leaderElect
    ? new LeaseElector({
        client: kubernetesLeaseClient(opts.kubeConfig),
        namespace: opts.leaseNamespace,
        name: opts.leaseName,
        identity: opts.identity,
        logger: opts.logger,
        ...opts.leaseTiming,
      })
    : new AlwaysLeader();
  new Gauge({
    name: "landfall_leader",
    help: "1 while this replica holds the leader Lease and runs the controllers",
    labelNames: ["identity"],
    registers: [metricsRegistry],
    collect() {
      this.set({ identity: opts.identity }, elector.isLeader() ? 1 : 0);
    },
  });

  const server = healthServer(metricsRegistry, () => ({ leader: elector.isLeader(), identity: opts.identity }));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const url = urlFor("http", host, (server.address() as AddressInfo).port);
  let stopping = false;
  let running: Controller[] = [];
  const stopControllers = async () => {
    for (const c of running.reverse()) await Promise.resolve(c.stop()).catch((err: unknown) => opts.logger.error("controller stop failed", { controller: c.name, error: err }));
    running = [];
  };
  const done = elector.run(
    async (signal) => {
      opts.logger.info("leading: starting controllers", { identity: opts.identity });
      for (const c of wiring.controllers ?? []) {
        if (signal.aborted) break;
        running.push(c); // before start: a shutdown while its caches fill must stop it too
        try {
          await c.start({ store, conventions, dataDir: opts.dataDir, metricsRegistry, url, signal });
        } catch (err) {
          if (signal.aborted || stopping) return;
          opts.onFatal(`controller ${c.name} failed to start while leading: ${(err as Error).message}`);
          return;
        }
      }
    },
    async () => {
      opts.logger.info("no longer leading: stopping controllers", { identity: opts.identity });
      await stopControllers();
      if (!stopping) opts.onFatal("lost the leader Lease");
    },
  );
  return {
    url,
    isLeader: () => elector.isLeader(),
    async stop() {
      stopping = true;
      await elector.stop();
      await done;
      await stopControllers();
      await store.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** /healthz (alive), /readyz (ready to lead or leading) and /metrics; no token, as a kubelet probe needs. */
function healthServer(registry: Registry, state: () => { leader: boolean; identity: string }): Server {
  return createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET") {
      res.writeHead(405).end();
      return;
    }
    if (path === "/healthz" || path === "/readyz") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "ok", ...state() }));
      return;
    }
    if (path === "/metrics") {
      registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
      return;
    }
    res.writeHead(404).end();
  });
}
