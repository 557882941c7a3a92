// Provider reconcile: connect, report Ready with the reason from the health check (Connected,
// InvalidCredentials, TLSVerificationFailed, ThumbprintMismatch, Unreachable), warn on InsecureTLS, and keep an
// inventory summary. Re-checked periodically; sooner while not Ready.
import { ApiError } from "../../api/errors.ts";
import type { Condition } from "../../api/meta.ts";
import type { Provider, ProviderStatus } from "../../api/provider.ts";
import type { ProviderHealth } from "../../providers/contract.ts";
import type { ResourceStore } from "../../store/types.ts";
import type { ProviderClients } from "./clients.ts";

export const RECHECK_READY_MS = 60_000;
export const RECHECK_NOT_READY_MS = 10_000;

/** Pure: the status a health check and inventory count lead to. */
export function providerStatus(prev: ProviderStatus | undefined, health: ProviderHealth, inventory: { vms: number; poweredOn?: number } | undefined, generation: number | undefined, now: string): ProviderStatus {
  const conditions: Condition[] = [];
  const keep = (type: string, status: Condition["status"]) => {
    const old = prev?.conditions?.find((c) => c.type === type);
    return old && old.status === status ? old.lastTransitionTime : now;
  };
  const readyStatus = health.ready ? "True" : "False";
  conditions.push({ type: "Ready", status: readyStatus, reason: health.reason, message: health.message, lastTransitionTime: keep("Ready", readyStatus) });
  for (const w of health.warnings ?? []) {
    conditions.push({ type: w.type, status: "True", reason: w.reason, message: w.message, lastTransitionTime: keep(w.type, "True") });
  }
  const status: ProviderStatus = {
    phase: health.ready ? "Ready" : "NotReady",
    conditions,
    observedGeneration: generation,
    message: health.ready ? undefined : health.message,
  };
  if (health.version) status.version = health.version;
  if (health.thumbprint) status.thumbprint = health.thumbprint;
  if (health.virtType) {
    status.virtType = health.virtType.type;
    status.virtTypeReason = health.virtType.reason;
  }
  if (inventory) status.inventory = { ...inventory, lastRefreshed: now };
  else if (prev?.inventory) status.inventory = prev.inventory;
  return status;
}

export function providerReconciler(deps: { store: ResourceStore; clients: ProviderClients; log: (m: string) => void }) {
  return async function reconcile(key: { namespace: string; name: string }): Promise<{ requeueAfterMs?: number } | undefined> {
    let p: Provider;
    try {
      p = await deps.store.get<Provider>("Provider", key.namespace, key.name);
    } catch (err) {
      if (err instanceof ApiError && err.reason === "NotFound") {
        await deps.clients.forget(key.namespace, key.name);
        return undefined;
      }
      throw err;
    }
    if (p.metadata.deletionTimestamp) return undefined;
    let health: ProviderHealth;
    let inventory: { vms: number; poweredOn?: number } | undefined;
    try {
      if (deps.clients.canSource(p.spec.type)) {
        const source = await deps.clients.source(p);
        health = await source.check();
        if (health.ready) {
          const vms = await source.listVMs();
          inventory = { vms: vms.length, poweredOn: vms.filter((v) => v.powerState === "poweredOn").length };
        }
      } else {
        const target = await deps.clients.target(p);
        health = await target.check();
        if (health.ready) {
          await target.ensureStorage();
          const { vms, running } = await target.countVMs();
          inventory = { vms, poweredOn: running };
        }
      }
    } catch (err) {
      health = { ready: false, reason: "ConfigurationError", message: (err as Error).message };
    }
    const status = providerStatus(p.status, health, inventory, p.metadata.generation, new Date().toISOString());
    const comparable = (s: ProviderStatus | undefined) => JSON.stringify({ ...s, inventory: s?.inventory ? { ...s.inventory, lastRefreshed: "" } : undefined });
    if (comparable(status) !== comparable(p.status)) {
      await deps.store.updateStatus({ ...p, status }).catch((err) => {
        if (!(err instanceof ApiError && err.reason === "Conflict")) throw err;
      });
      deps.log(`provider ${key.namespace}/${key.name}: ${health.ready ? "Ready" : `not Ready (${health.reason}: ${health.message})`}`);
    }
    return { requeueAfterMs: health.ready ? RECHECK_READY_MS : RECHECK_NOT_READY_MS };
  };
}
