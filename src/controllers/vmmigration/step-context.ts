// What every phase executor (phase-*.ts) gets: the runner's dependencies, status writes, and the providers the
// migration names — leased, so a Provider edit mid-step leaves the step on the client it started with.
import type { Conventions } from "../../api/conventions.ts";
import { ApiError } from "../../api/errors.ts";
import type { ProviderReference } from "../../api/meta.ts";
import type { MigrationDisk, VMMigration, VMMigrationPhase, VMMigrationStatus } from "../../api/vmmigration.ts";
import type { SourceProvider, SourceVM, TargetProvider } from "../../providers/contract.ts";
import type { EventSink } from "../../runtime/events.ts";
import type { Slots } from "../../runtime/slots.ts";
import type { ResourceStore } from "../../store/types.ts";
import type { Lease, ProviderClients } from "../provider/clients.ts";
import { providerKey } from "../provider/ref.ts";
import type { DiskOps } from "./disk-ops.ts";
import type { GuestConversionIO } from "./guest-conversion.ts";
import { MigrationFailure } from "./steps.ts";

export interface RunnerDeps {
  store: ResourceStore;
  clients: ProviderClients;
  disk: DiskOps;
  /** Server-wide bound on disk transfers running at once (`serve --max-transfers`), shared by all migrations. */
  transferSlots: Slots;
  /** Guest conversion of boot disks (virt-v2v-in-place); src/compose/guest-ops.ts builds it. */
  guest: GuestConversionIO;
  /** Where virt-v2v finds virtio-win for Windows guests, and whether it is there (checked in Validating). */
  virtioWin: () => Promise<{ path: string; present: boolean }>;
  conventions: Conventions;
  /** Called once when a migration reaches Succeeded or Failed (metrics). */
  onFinished?: (m: VMMigration) => void;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  events?: EventSink;
  /** How long Creating waits for the VirtualMachine controller to define the domain. */
  createTimeoutMs?: number;
}

export interface StepContext {
  deps: RunnerDeps;
  ns: string;
  name: string;
  signal: AbortSignal;
  /** Re-read, mutate status, write; retried on conflict (the controller and progress reports both write). */
  patch(mutate: (s: VMMigrationStatus, m: VMMigration) => void): Promise<VMMigration>;
  patchDisk(diskID: string, mutate: (d: MigrationDisk) => void, bytesPerSecond?: number): Promise<VMMigration>;
  /** Records that the migration entered phase (once) with a message, and emits an event. */
  enter(phase: VMMigrationPhase, message: string): Promise<VMMigration>;
  log(msg: string): void;
}

interface MigrationProviders {
  source: SourceProvider;
  sourceType: string;
  target: TargetProvider;
  release(): Promise<void>;
}

/** Leases both providers of a migration; the caller releases them when its step ends. */
async function leaseProviders(deps: RunnerDeps, m: VMMigration): Promise<MigrationProviders> {
  const ns = m.metadata.namespace ?? "default";
  const s = await leased(deps.clients.leaseSource(m.spec.source.providerRef, ns), "spec.source.providerRef", m.spec.source.providerRef, ns);
  let t: Lease<TargetProvider>;
  try {
    t = await leased(deps.clients.leaseTarget(m.spec.target.providerRef, ns), "spec.target.providerRef", m.spec.target.providerRef, ns);
  } catch (err) {
    await s.release();
    throw err;
  }
  return {
    source: s.client,
    sourceType: s.provider.spec.type,
    target: t.client,
    release: async () => {
      await Promise.all([s.release(), t.release()]);
    },
  };
}

/** Runs fn with the migration's providers leased for its whole duration. */
export async function withProviders<T>(deps: RunnerDeps, m: VMMigration, fn: (p: MigrationProviders) => Promise<T>): Promise<T> {
  const p = await leaseProviders(deps, m);
  try {
    return await fn(p);
  } finally {
    await p.release();
  }
}

async function leased<C>(lease: Promise<Lease<C>>, field: string, ref: ProviderReference, ns: string): Promise<Lease<C>> {
  try {
    return await lease;
  } catch (err) {
    if (err instanceof ApiError && err.reason === "NotFound") {
      const key = providerKey(ref, ns);
      throw new MigrationFailure("ProviderNotFound", `${field}: Provider "${key.name}" not found in namespace "${key.namespace}"; create it or fix the reference`);
    }
    throw err;
  }
}

/** The source VM: by the id recorded in Validating once known, else as the spec names it. */
export async function sourceVMOf(source: SourceProvider, m: VMMigration): Promise<SourceVM> {
  const ref = m.status?.source?.vmID ? { id: m.status.source.vmID } : { name: m.spec.source.vmName, id: m.spec.source.vmID };
  try {
    return await source.getVM(ref);
  } catch (err) {
    if ((err as { code?: string }).code === "NotFound") {
      const what = m.spec.source.vmName ? `spec.source.vmName "${m.spec.source.vmName}"` : `spec.source.vmID "${m.spec.source.vmID}"`;
      const provider = m.spec.source.providerRef.name;
      throw new MigrationFailure("SourceVMNotFound", `${what}: no such VM on provider "${provider}"; check the name with 'landfall inventory ${provider}'`);
    }
    throw err;
  }
}

export const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
