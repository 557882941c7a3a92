// What the warm-migration e2e tests share: temporary libvirt storage, a vcsim harness running the test's VMs, a
// real `bin/landfall serve` on a fresh data dir with the `vcenter` and `kvm` Providers applied, the teardown, and
// the calls each test makes on them (read a migration, ask for the cutover now, a direct vSphere client).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { VMMigration } from "../../src/api/vmmigration.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import type { SourceProvider } from "../../src/providers/contract.ts";
import { createVsphereSource } from "../../src/providers/vsphere/source-provider.ts";
import { api, resourcePath } from "./landfall.ts";
import { createTempLibvirt, type TempLibvirt } from "./libvirt.ts";
import { applySourceAndTarget } from "./providers.ts";
import { startVcsim, type Vcsim, type VcsimSpec } from "./vcsim/harness.ts";

/** The warm VMMigration the warm suites apply: vcenter → kvm into qcow2; `extraOptions` ("bandwidthMiBps: 2") appended. */
export function warmMigrationYaml(ns: string, vm: string, opts: { powerOn: boolean; precopyInterval: string; extraOptions?: string }): string {
  const extra = opts.extraOptions ? `, ${opts.extraOptions}` : "";
  return `apiVersion: landfall.dev/v1beta1
kind: VMMigration
metadata: {name: ${vm}, namespace: ${ns}}
spec:
  source: {providerRef: {name: vcenter}, vmName: ${vm}}
  target: {providerRef: {name: kvm}, vmName: ${vm}, powerOn: ${opts.powerOn}}
  options: {mode: warm, precopyInterval: ${opts.precopyInterval}, diskFormat: qcow2${extra}}
`;
}

export interface WarmSuite {
  lv: TempLibvirt;
  vc: Vcsim;
  srv: ServeProcess;
  /** The namespace the Providers and migrations live in (the libvirt prefix). */
  ns: string;
  migration(name: string): Promise<VMMigration>;
  /** Sets spec.cutover to now; resolves with the API's status code. */
  cutoverNow(name: string): Promise<number>;
  /** A vSphere client of the simulator, outside the server (close it). */
  directSource(): SourceProvider;
  close(): Promise<void>;
}

/** Starts the suite; `vms` builds the simulator's VMs from the storage's scratch directory. */
export async function startWarmSuite(prefix: string, vms: (scratchDir: string) => Promise<NonNullable<VcsimSpec["vms"]>>): Promise<WarmSuite> {
  const lv = await createTempLibvirt(prefix);
  const cleanups: Array<() => Promise<unknown>> = [() => lv.cleanup()];
  const close = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const vc = await startVcsim({ vms: await vms(lv.scratchDir) });
    cleanups.push(() => vc.stop());
    const dataDir = await mkdtemp(join(tmpdir(), `landfall-e2e-${prefix}-`));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const srv = await startServeProcess({ dataDir, env: { LANDFALL_LOG_FORMAT: "text" } });
    cleanups.push(() => srv.stop());
    const ns = lv.prefix;
    await applySourceAndTarget(srv, ns, vc, lv, { tls: "thumbprint" });
    return {
      lv,
      vc,
      srv,
      ns,
      migration: async (name) => (await api<VMMigration>(srv, resourcePath(ns, "vmmigrations", name))).body,
      cutoverNow: async (name) =>
        (
          await api(srv, resourcePath(ns, "vmmigrations", name), {
            method: "PATCH",
            headers: { "content-type": "application/merge-patch+json" },
            body: JSON.stringify({ spec: { cutover: new Date().toISOString() } }),
          })
        ).status,
      directSource: () => createVsphereSource({ endpoint: vc.url, username: vc.username, password: vc.password, tls: { thumbprint: vc.thumbprint } }),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
