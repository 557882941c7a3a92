// The Overview page's counts, computed from the lists the API returns.
import type { Provider, VirtualMachine, VMMigration } from "../api/generated.ts";
import { findCondition } from "./objects.ts";
import { desiredPower, isAdopted } from "./virtual-machines.ts";

export interface OverviewCounts {
  vms: { total: number; running: number; stopped: number; other: number };
  migrationsByPhase: Record<string, number>;
  importedVMs: number;
  providers: { ready: number; notReady: number };
}

/** Running/stopped follow the observed phase; a VM with no phase yet counts by its desired power state. */
function vmState(vm: VirtualMachine): "running" | "stopped" | "other" {
  const phase = vm.status?.phase;
  if (phase === "Running") return "running";
  if (phase === "Stopped") return "stopped";
  if (!phase) return desiredPower(vm) === "Off" ? "stopped" : "other";
  return "other";
}

export function summarize(vms: readonly VirtualMachine[], migrations: readonly VMMigration[], providers: readonly Provider[]): OverviewCounts {
  const counts: OverviewCounts = { vms: { total: vms.length, running: 0, stopped: 0, other: 0 }, migrationsByPhase: {}, importedVMs: 0, providers: { ready: 0, notReady: 0 } };
  for (const vm of vms) {
    counts.vms[vmState(vm)]++;
    if (isAdopted(vm)) counts.importedVMs++;
  }
  for (const m of migrations) {
    const phase = m.status?.phase ?? "Pending";
    counts.migrationsByPhase[phase] = (counts.migrationsByPhase[phase] ?? 0) + 1;
  }
  for (const p of providers) {
    if (findCondition(p.status?.conditions, "Ready")?.status === "True") counts.providers.ready++;
    else counts.providers.notReady++;
  }
  return counts;
}
