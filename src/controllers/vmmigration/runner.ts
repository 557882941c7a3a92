// Executes a VMMigration's phases: Validating → Exporting → Transferring → Converting → Importing → Creating
// (warm mode: Exporting → Precopying → CuttingOver → Converting; the run ends while Precopying is idle).
// Each phase lives in its own phase-*.ts; decisions are the pure functions of decide.ts. Every side effect has
// an identity derived from the migration's UID, intent is recorded before the effect and the effect is looked
// up on resume, so a server killed anywhere picks up from status and converges without doing anything twice.
import type { VMMigration, VMMigrationPhase, VMMigrationStatus } from "../../api/vmmigration.ts";
import { setCondition } from "../../runtime/conditions.ts";
import { patchStatus } from "../../runtime/status.ts";
import { cleanupMigration } from "./cleanup.ts";
import { convert } from "./phase-convert.ts";
import { create } from "./phase-create.ts";
import { idleMs } from "./decide-warm.ts";
import { cutover } from "./phase-cutover.ts";
import { exportSource } from "./phase-export.ts";
import { precopy } from "./phase-precopy.ts";
import { importDisks } from "./phase-import.ts";
import { transfer } from "./phase-transfer.ts";
import { validate } from "./phase-validate.ts";
import { aggregateProgress } from "./plan.ts";
import type { RunnerDeps, StepContext } from "./step-context.ts";

const nowISO = () => new Date().toISOString();

const PHASES: Partial<Record<VMMigrationPhase, (ctx: StepContext, m: VMMigration) => Promise<VMMigration>>> = {
  Validating: validate,
  Exporting: exportSource,
  Precopying: precopy,
  CuttingOver: cutover,
  Transferring: transfer,
  Converting: convert,
  Importing: importDisks,
  Creating: create,
};

export class MigrationRunner {
  readonly #d: RunnerDeps;

  constructor(deps: RunnerDeps) {
    this.#d = deps;
  }

  #context(ns: string, name: string, signal: AbortSignal): StepContext {
    const deps = this.#d;
    const ref = { kind: "VMMigration", metadata: { name, namespace: ns } };
    const patch = (mutate: (s: VMMigrationStatus, m: VMMigration) => void) =>
      patchStatus<VMMigration, VMMigrationStatus>(deps.store, "VMMigration", ns, name, mutate, { attempts: 8 });
    return {
      deps,
      ns,
      name,
      signal,
      patch,
      patchDisk: (diskID, mutate, rate) =>
        patch((s) => {
          const d = s.disks?.find((x) => x.diskID === diskID);
          if (d) mutate(d);
          s.progress = aggregateProgress(s.disks ?? [], rate);
        }),
      enter: (phase, message) => {
        deps.log(`migration ${ns}/${name}: ${phase}`, { message });
        deps.events?.record(ref, "Normal", phase, message);
        return patch((s) => {
          if (s.phase !== phase) {
            s.phase = phase;
            s.phaseHistory = [...(s.phaseHistory ?? []), { phase, enteredAt: nowISO() }];
          }
          s.message = message;
          s.conditions = setCondition(s.conditions, { type: "Ready", status: "False", reason: phase, message });
        });
      },
      log: (msg) => deps.log(`migration ${ns}/${name}: ${msg}`),
    };
  }

  /** Runs the migration from wherever its status says it is until it succeeds or throws. */
  async run(ns: string, name: string, signal: AbortSignal): Promise<void> {
    const ctx = this.#context(ns, name, signal);
    let m = await this.#d.store.get<VMMigration>("VMMigration", ns, name);
    for (;;) {
      signal.throwIfAborted();
      const phase = m.status?.phase ?? "Pending";
      if (phase === "Pending") {
        m = await ctx.patch((s) => {
          s.startedAt ??= nowISO();
          s.observedGeneration = m.metadata.generation;
        });
        m = await ctx.enter("Validating", "checking providers, the source VM and target space");
        continue;
      }
      const step = PHASES[phase];
      if (!step) return;
      m = await step(ctx, m);
      // Nothing to do until the next precopy or the cutover: end the run; the reconciler requeues it for then.
      if (idleMs(m, Date.now()) > 0) return;
    }
  }

  /**
   * Terminal failure: record it, remove the partial target volumes this migration created (and its staging
   * files) and nothing else, and put the source back as it was (snapshot removed, power restored).
   */
  async fail(ns: string, name: string, reason: string, message: string): Promise<void> {
    const ctx = this.#context(ns, name, new AbortController().signal);
    ctx.log(`failing (${reason}): removing what it created on the target and restoring the source first`);
    // Clean up first, so whoever sees Failed sees the target as it was before the migration.
    await this.cleanup(await this.#d.store.get<VMMigration>("VMMigration", ns, name)).catch((err) => ctx.log(`cleanup after failure: ${(err as Error).message}`));
    const failed = await ctx.patch((s) => {
      s.phase = "Failed";
      s.phaseHistory = [...(s.phaseHistory ?? []), { phase: "Failed", enteredAt: nowISO() }];
      s.completedAt = nowISO();
      s.message = message;
      s.conditions = setCondition(s.conditions, { type: "Ready", status: "False", reason, message });
    });
    ctx.log(`Failed (${reason}) ${message}`);
    this.#d.events?.record({ kind: "VMMigration", metadata: { name, namespace: ns } }, "Warning", reason, message);
    this.#d.onFinished?.(failed);
  }

  /** Removes what an unfinished migration created on the target and restores the source. */
  async cleanup(m: VMMigration): Promise<void> {
    await cleanupMigration(this.#d, m);
  }
}
