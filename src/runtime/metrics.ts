// Controller metrics on a Registry the caller owns (never prom-client's global one, so two servers or two
// tests in one process never collide). Metrics are created once per registry and shared by its controllers.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface ControllerMetrics {
  reconcileDuration: Histogram<"controller">;
  reconcileErrors: Counter<"controller">;
  reconcileTotal: Counter<"controller" | "result">;
  queueDepth: Gauge<"controller">;
  /** Reports a controller's queue depth at every scrape. Returns a function that stops reporting it. */
  trackQueue(controller: string, depth: () => number): () => void;
}

const byRegistry = new WeakMap<Registry, ControllerMetrics>();

export function controllerMetrics(registry: Registry): ControllerMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const queues = new Map<string, () => number>();
  const metrics: ControllerMetrics = {
    reconcileDuration: new Histogram({
      name: "landfall_reconcile_duration_seconds",
      help: "Time spent in one reconcile call, by controller.",
      labelNames: ["controller"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    reconcileErrors: new Counter({
      name: "landfall_reconcile_errors_total",
      help: "Reconcile calls that threw, by controller.",
      labelNames: ["controller"],
      registers: [registry],
    }),
    reconcileTotal: new Counter({
      name: "landfall_reconcile_total",
      help: "Reconcile calls by controller and result (success, error, requeue_after).",
      labelNames: ["controller", "result"],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: "landfall_workqueue_depth",
      help: "Keys waiting in a controller's work queue (ready, not yet handed to a worker).",
      labelNames: ["controller"],
      registers: [registry],
      collect() {
        for (const [controller, depth] of queues) this.set({ controller }, depth());
      },
    }),
    trackQueue(controller, depth) {
      queues.set(controller, depth);
      return () => {
        if (queues.get(controller) === depth) {
          queues.delete(controller);
          metrics.queueDepth.remove({ controller });
        }
      };
    },
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
