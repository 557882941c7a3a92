// landfall's domain metrics (DESIGN.md "Metrics"). Counts are read from the store at scrape time, so they are
// right after a restart; durations and bytes moved are observed when migrations finish.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Conventions } from "../api/conventions.ts";
import { keys } from "../api/conventions.ts";
import type { VirtualMachine } from "../api/virtualmachine.ts";
import type { VMMigration } from "../api/vmmigration.ts";
import type { ResourceStore } from "../store/types.ts";

export interface MigrationMetrics {
  finished(m: VMMigration): void;
}

export function registerDomainMetrics(registry: Registry, store: ResourceStore, conventions: Conventions): MigrationMetrics {
  new Gauge({
    name: "landfall_virtualmachines",
    help: "VirtualMachines by where their disk came from and their phase",
    labelNames: ["disk_source", "phase"],
    registers: [registry],
    async collect() {
      this.reset();
      const { items } = await store.list<VirtualMachine>("VirtualMachine");
      for (const vm of items) {
        this.inc({ disk_source: vm.spec.importedDisk ? "importedDisk" : "imageRef", phase: vm.status?.phase ?? "Pending" });
      }
    },
  });
  new Gauge({
    name: "landfall_vmmigrations",
    help: "VMMigrations by phase",
    labelNames: ["phase"],
    registers: [registry],
    async collect() {
      this.reset();
      const { items } = await store.list<VMMigration>("VMMigration");
      for (const m of items) this.inc({ phase: m.status?.phase ?? "Pending" });
    },
  });
  new Gauge({
    name: "landfall_adopted_vms",
    help: "VirtualMachines carrying the adoption label",
    registers: [registry],
    async collect() {
      const { items } = await store.list("VirtualMachine", { labelSelector: `${keys(conventions).adopted}=true` });
      this.set(items.length);
    },
  });
  const bytes = new Counter({ name: "landfall_migration_bytes_total", help: "Disk bytes moved by finished migrations", labelNames: ["phase"], registers: [registry] });
  const finished = new Counter({ name: "landfall_migrations_finished_total", help: "Migrations that reached a terminal phase", labelNames: ["phase"], registers: [registry] });
  const duration = new Histogram({
    name: "landfall_migration_duration_seconds",
    help: "Wall time from start to a terminal phase",
    labelNames: ["phase"],
    buckets: [5, 15, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600],
    registers: [registry],
  });
  return {
    finished(m) {
      const phase = m.status?.phase ?? "Unknown";
      finished.inc({ phase });
      bytes.inc({ phase }, m.status?.progress?.bytesDone ?? 0);
      const start = Date.parse(m.status?.startedAt ?? "");
      const end = Date.parse(m.status?.completedAt ?? "");
      if (Number.isFinite(start) && Number.isFinite(end)) duration.observe({ phase }, (end - start) / 1000);
    },
  };
}
