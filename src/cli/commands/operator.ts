// `operator`: landfall's controllers in a Kubernetes cluster (in-cluster config or a kubeconfig), over the
// cluster's API, leading through a coordination.k8s.io/v1 Lease with --leader-elect. Runs until SIGTERM/SIGINT.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { KubeConfig } from "@kubernetes/client-node";
import { type Operator, startOperator } from "../../compose/operator.ts";
import { createLogger } from "../../runtime/logger.ts";
import { loadKubeConfig } from "../../store/kubernetes/kubeconfig.ts";
import { parseDurationSeconds } from "../../server/duration.ts";
import { installCrashHandlers } from "../crash-handlers.ts";

export interface OperatorCommandOptions {
  kubeconfig?: string;
  leaderElect?: boolean;
  leaseName: string;
  leaseNamespace?: string;
  identity?: string;
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
  healthListen: string;
  dataDir: string;
  preset?: string;
}

const SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/** The Lease lives in the operator's own namespace unless told otherwise. */
function defaultLeaseNamespace(kc: KubeConfig): string {
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE, "utf8").trim();
  } catch {
    return kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
  }
}

export async function operatorCommand(opts: OperatorCommandOptions, out: (line: string) => void): Promise<void> {
  const logger = createLogger();
  installCrashHandlers(logger);
  const kubeConfig = loadKubeConfig(opts.kubeconfig);
  const ms = (flag: string, value: string) => parseDurationSeconds(flag, value) * 1000;
  let operator: Operator | undefined;
  let requested: string | undefined;
  const shutdown = (signal: string) => {
    if (requested) return;
    requested = signal;
    out(`${signal}: shutting down`);
    (operator?.stop() ?? Promise.resolve()).then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`error while shutting down: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
  const identity = opts.identity ?? `${hostname()}-${process.pid}`;
  operator = await startOperator({
    kubeConfig,
    leaderElect: opts.leaderElect ?? false,
    leaseName: opts.leaseName,
    leaseNamespace: opts.leaseNamespace ?? defaultLeaseNamespace(kubeConfig),
    identity,
    leaseTiming: {
      leaseDurationMs: ms("--lease-duration", opts.leaseDuration),
      renewDeadlineMs: ms("--renew-deadline", opts.renewDeadline),
      retryPeriodMs: ms("--retry-period", opts.retryPeriod),
    },
    listen: opts.healthListen,
    dataDir: opts.dataDir,
    preset: opts.preset,
    logger,
    // As client-go's controllers do: a replica that lost its lease (or cannot run its controllers) exits, and
    // its Deployment restarts it; another replica takes the Lease meanwhile.
    onFatal: (reason) => {
      logger.error(`${reason}; exiting so that a fresh start waits for the Lease again`);
      process.exit(1);
    },
  });
  out(`landfall operator ${identity}: cluster ${kubeConfig.getCurrentCluster()?.server ?? "?"}, health and metrics at ${operator.url}`);
}
