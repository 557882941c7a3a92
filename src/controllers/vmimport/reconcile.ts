// VMImport reconcile: validate the whole plan once, create owned VMMigrations with bounded concurrency, report
// per-VM progress, adopt what it imported (adoption.enabled, default true) and clean up its temporary objects.
// Deleting a VMImport deletes only its own VMMigrations — never Providers, VirtualMachines or disks.
import { type Conventions, targetNameFor } from "../../api/conventions.ts";
import { ApiError } from "../../api/errors.ts";
import type { Provider } from "../../api/provider.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { VMImport, VMImportStatus } from "../../api/vmimport.ts";
import type { VMMigration } from "../../api/vmmigration.ts";
import type { SourceVM } from "../../providers/contract.ts";
import { setCondition } from "../../runtime/conditions.ts";
import { addFinalizer, removeFinalizer } from "../../runtime/finalizers.ts";
import { patchObject, patchStatus } from "../../runtime/status.ts";
import type { ResourceStore } from "../../store/types.ts";
import type { AdoptionService } from "../adoption/service.ts";
import type { ProviderClients } from "../provider/clients.ts";
import { providerKey } from "../provider/ref.ts";
import { providerTenancyRefusal } from "../provider/tenancy-lookup.ts";
import { aggregate, cleanupActions, migrationsFor, needsValidation, nextToStart, ownedBy, validatePlan } from "./plan.ts";

export const IMPORT_FINALIZER = "landfall.dev/vmimport-cleanup";
const RUNNING_RECHECK_MS = 2_000;

export interface VMImportDeps {
  store: ResourceStore;
  clients: ProviderClients;
  adoption: AdoptionService;
  conventions: Conventions;
  log: (msg: string) => void;
}

export function vmImportReconciler(deps: VMImportDeps) {
  const { store } = deps;
  return async function reconcile(key: { namespace: string; name: string }): Promise<{ requeueAfterMs?: number } | undefined> {
    let imp: VMImport;
    try {
      imp = await store.get<VMImport>("VMImport", key.namespace, key.name);
    } catch (err) {
      if (err instanceof ApiError && err.reason === "NotFound") return undefined;
      throw err;
    }
    const owned = async () => (await store.list<VMMigration>("VMMigration", { namespace: key.namespace })).items.filter((m) => ownedBy(m, imp));

    if (imp.metadata.deletionTimestamp) {
      if (!(imp.metadata.finalizers ?? []).includes(IMPORT_FINALIZER)) return undefined;
      for (const m of await owned()) await store.delete("VMMigration", key.namespace, m.metadata.name).catch(() => undefined);
      deps.log(`vmimport ${key.namespace}/${key.name}: deleted its VMMigrations; VirtualMachines, disks and Providers are kept`);
      await patchObject<VMImport>(store, "VMImport", key.namespace, key.name, (o) => removeFinalizer(o, IMPORT_FINALIZER));
      return undefined;
    }
    if (!(imp.metadata.finalizers ?? []).includes(IMPORT_FINALIZER)) {
      await patchObject<VMImport>(store, "VMImport", key.namespace, key.name, (o) => addFinalizer(o, IMPORT_FINALIZER));
      return undefined;
    }
    const validate = needsValidation(imp);
    if (imp.status?.phase === "Failed" && !validate && !imp.status?.vms?.some((v) => v.migration)) return undefined;

    // Before any Provider is contacted: its tenants may have changed since admission.
    const refused = validate ? await providerTenancyRefusal(store, imp) : undefined;
    if (refused) {
      await writeStatus(store, imp, (s) => {
        s.phase = "Failed";
        s.observedGeneration = imp.metadata.generation;
        s.message = refused.message;
        setReady(s, "False", "ProviderNotAllowed", s.message);
      });
      return undefined;
    }
    const { client: source } = await deps.clients.sourceByRef(imp.spec.source.providerRef, key.namespace);
    const sourceVMs: SourceVM[] = await source.listVMs();

    if (validate) {
      await writeStatus(store, imp, (s) => {
        s.phase = "Validating";
        s.message = `validating ${imp.spec.vms.length} VMs against provider "${imp.spec.source.providerRef.name}"`;
      });
      const targetNs = imp.spec.target.namespace ?? key.namespace;
      const existing = (await store.list<VirtualMachine>("VirtualMachine", { namespace: targetNs })).items.map((v) => v.metadata.name);
      const targetKey = providerKey(imp.spec.target.providerRef, key.namespace);
      const targetProvider = await store.get<Provider>("Provider", targetKey.namespace, targetKey.name).catch(() => undefined);
      const problems = validatePlan(imp.spec, sourceVMs, existing, targetProvider ? { name: targetKey.name, spec: targetProvider.spec } : undefined);
      if (problems.length > 0) {
        await writeStatus(store, imp, (s) => {
          s.phase = "Failed";
          // The generation judged: editing the spec moves past it and retries validation.
          s.observedGeneration = imp.metadata.generation;
          s.message = `plan is invalid: ${problems.join("; ")}`;
          setReady(s, "False", "InvalidPlan", s.message);
        });
        return undefined;
      }
      imp = await writeStatus(store, imp, (s) => {
        s.phase = "Running";
        s.observedGeneration = imp.metadata.generation;
        // A plan fixed after a failed validation starts afresh.
        delete s.completedAt;
        s.startedAt ??= new Date().toISOString();
        s.message = "plan validated; migrating";
        s.vms = imp.spec.vms.map((v) => {
          const src = sourceVMs.find((x) => (v.id ? x.id === v.id : x.name === v.name));
          return { name: v.name ?? src?.name ?? (v.id as string), ...(v.id ? { id: v.id } : {}), targetName: v.targetName ?? targetNameFor(src?.name ?? v.name ?? v.id ?? "vm"), phase: "Pending" };
        });
      });
    }

    // Start the next migrations within the concurrency bound.
    const desired = migrationsFor(imp, sourceVMs, deps.conventions);
    let migrations = await owned();
    const rows = aggregate(imp, migrations, sourceVMs).vms ?? [];
    for (const name of nextToStart(rows, imp.spec.options?.maxConcurrent ?? 2, imp.spec.options?.failFast ?? false)) {
      const row = rows.find((r) => r.name === name);
      const m = desired.find((d) => d.spec.target.vmName === row?.targetName);
      if (!m) continue;
      await store.create(m).catch((err) => {
        if (!(err instanceof ApiError && err.reason === "AlreadyExists")) throw err;
      });
      deps.log(`vmimport ${key.namespace}/${key.name}: started VMMigration ${m.metadata.name}`);
    }
    migrations = await owned();
    let status = aggregate(imp, migrations, sourceVMs, new Date().toISOString());

    // Adoption of what this import created (its VMs are landfall's already: labels + tracking ConfigMap).
    if (imp.spec.adoption?.enabled ?? true) {
      const toAdopt = (status.vms ?? []).filter((v) => v.phase === "Succeeded" && !v.adopted).map((v) => v.targetName);
      if (toAdopt.length > 0) {
        await writeStatus(store, imp, (s) => Object.assign(s, status));
        imp = await store.get<VMImport>("VMImport", key.namespace, key.name);
        const adopted = await deps.adoption.adoptImported(imp, toAdopt);
        for (const v of status.vms ?? []) if (adopted.includes(v.targetName)) v.adopted = true;
      }
    }
    for (const a of cleanupActions(imp, migrations)) {
      await store.delete(a.kind, a.namespace, a.name).catch(() => undefined);
      deps.log(`vmimport ${key.namespace}/${key.name}: cleaned up succeeded VMMigration ${a.name}`);
    }
    const terminal = status.phase === "Succeeded" || status.phase === "PartiallySucceeded" || status.phase === "Failed";
    status = { ...status, message: summary(status) };
    await writeStatus(store, imp, (s) => {
      Object.assign(s, status);
      if (terminal) setReady(s, status.phase === "Succeeded" ? "True" : "False", status.phase as string, s.message as string);
      else setReady(s, "False", "Running", s.message as string);
    });
    return terminal ? undefined : { requeueAfterMs: RUNNING_RECHECK_MS };
  };
}

function summary(s: VMImportStatus): string {
  const p = s.progress;
  if (!p) return "";
  return `${p.succeeded}/${p.total} succeeded, ${p.failed} failed, ${p.running} running, ${p.pending ?? 0} pending${p.skipped ? `, ${p.skipped} skipped (failFast)` : ""}`;
}

function setReady(s: VMImportStatus, status: "True" | "False", reason: string, message: string): void {
  s.conditions = setCondition(s.conditions, { type: "Ready", status, reason, message });
}

function writeStatus(store: ResourceStore, imp: VMImport, mutate: (s: VMImportStatus) => void): Promise<VMImport> {
  return patchStatus<VMImport, VMImportStatus>(store, "VMImport", imp.metadata.namespace ?? "default", imp.metadata.name, mutate);
}
