// For MigrationRunner unit tests: an in-memory store, a scratch directory as the target's pool, and a runner whose
// providers and disk operations are the test's scripted objects (holding only the methods the test reaches).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_CONVENTIONS } from "../../api/conventions.ts";
import type { VMMigration } from "../../api/vmmigration.ts";
import { Slots } from "../../runtime/slots.ts";
import { openSqliteStore, type SqliteStore } from "../../store/sqlite/index.ts";
import type { ProviderClients } from "../provider/clients.ts";
import type { DiskOps } from "./disk-ops.ts";
import { noGuestConversion } from "./guest.fixture.ts";
import { MigrationRunner } from "./runner.ts";

export interface RunnerFixture {
  store: SqliteStore;
  pool: string;
}

export async function openRunnerFixture(label: string): Promise<RunnerFixture> {
  return { store: await openSqliteStore({ path: ":memory:" }), pool: await mkdtemp(join(tmpdir(), `landfall-${label}-`)) };
}

export async function closeRunnerFixture(f: RunnerFixture): Promise<void> {
  await f.store.close();
  await rm(f.pool, { recursive: true, force: true });
}

export interface ScriptedParts {
  /** The vSphere source Provider's client. */
  source?: object;
  /** The libvirt target Provider's client. */
  target?: object;
  disk?: object;
  /** Instead of leases of source and target: the whole ProviderClients (e.g. one that must not be contacted). */
  clients?: object;
  /** Default: 2 slots of its own. */
  transferSlots?: Slots;
}

/** A MigrationRunner over store with scripted providers and disk operations; guest conversion fails if reached. */
export function scriptedRunner(store: SqliteStore, parts: ScriptedParts): MigrationRunner {
  const lease = (type: string, client: object) => async () => ({ provider: { spec: { type } }, client, release: async () => undefined });
  const clients = parts.clients ?? { leaseSource: lease("vsphere", parts.source ?? {}), leaseTarget: lease("libvirt", parts.target ?? {}) };
  return new MigrationRunner({
    store,
    clients: clients as unknown as ProviderClients,
    disk: (parts.disk ?? {}) as DiskOps,
    ...noGuestConversion,
    transferSlots: parts.transferSlots ?? new Slots(2),
    conventions: DEFAULT_CONVENTIONS,
    log: () => undefined,
  });
}

/** A target client's ensureStorage: the pool directory, with 1 GiB free. */
export const poolStorage = (pool: string) => ({ ensureStorage: async () => ({ pool: "test", path: pool, availableBytes: 1 << 30 }) });

/** Creates VMMigration `name` in namespace default (vcenter → kvm; spec's fields replace those) and records status. */
export async function migrationAt(store: SqliteStore, name: string, status: object, spec: Partial<VMMigration["spec"]> = {}): Promise<VMMigration> {
  const m = await store.create<VMMigration>({
    apiVersion: "landfall.dev/v1beta1",
    kind: "VMMigration",
    metadata: { name, namespace: "default" },
    spec: { source: { providerRef: { name: "vcenter" }, vmName: name }, target: { providerRef: { name: "kvm" } }, ...spec },
  } as VMMigration);
  return store.updateStatus<VMMigration>({ ...m, status } as VMMigration);
}
