// The Secret and Providers an e2e suite (or a bench) migrates with: vSphere over the simulator, libvirt over the
// suite's own pool. One text of each, so a change to the Provider schema is made here once.
import type { ServeProcess } from "../../src/compose/serve-process.ts";
import { applyYaml } from "./landfall.ts";
import { TEST_URI, type TempLibvirt } from "./libvirt.ts";
import type { Vcsim } from "./vcsim/harness.ts";

const SOURCE_PROVIDER = "vcenter";
const TARGET_PROVIDER = "kvm";
const CREDENTIALS_SECRET = "vcenter-creds";

export interface VsphereProviderOptions {
  name?: string;
  /** "insecure": skip certificate verification; "thumbprint": pin the simulator's certificate. */
  tls: "insecure" | "thumbprint";
  /** spec.transport; absent: the Provider's default. */
  transport?: string;
}

type SimulatorEndpoint = Pick<Vcsim, "url" | "username" | "password" | "thumbprint">;

/** A vSphere Provider on the simulator, reading CREDENTIALS_SECRET. */
export function vsphereProviderYaml(ns: string, vc: SimulatorEndpoint, opts: VsphereProviderOptions): string {
  const tls = opts.tls === "thumbprint" ? `{thumbprint: "${vc.thumbprint}"}` : "{insecureSkipVerify: true}";
  const transport = opts.transport ? `, transport: ${opts.transport}` : "";
  return `apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: ${opts.name ?? SOURCE_PROVIDER}, namespace: ${ns}}
spec: {type: vsphere, endpoint: "${vc.url}", credentialsRef: {name: ${CREDENTIALS_SECRET}}, tls: ${tls}${transport}}
`;
}

/** A libvirt Provider on the test libvirtd whose volumes go to the given pool. */
export function libvirtProviderYaml(ns: string, lv: Pick<TempLibvirt, "pool" | "poolPath">, name = TARGET_PROVIDER): string {
  return `apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: ${name}, namespace: ${ns}}
spec: {type: libvirt, uri: "${TEST_URI}", storagePool: ${lv.pool}, storagePoolPath: ${lv.poolPath}}
`;
}

export interface SourceAndTargetOptions {
  /** How the vSphere Provider checks the simulator's certificate (default "insecure"). */
  tls?: VsphereProviderOptions["tls"];
  /** Further YAML documents, applied in the same `apply` (more Providers, a VMMigration). */
  more?: string[];
}

/**
 * Applies, in one `landfall apply`, Secret "vcenter-creds", Provider "vcenter" (vSphere on vc) and Provider "kvm"
 * (libvirt on lv's pool) in ns, and then opts.more.
 */
export async function applySourceAndTarget(
  srv: Pick<ServeProcess, "url" | "adminToken">,
  ns: string,
  vc: SimulatorEndpoint,
  lv: Pick<TempLibvirt, "pool" | "poolPath">,
  opts: SourceAndTargetOptions = {},
): Promise<void> {
  const secret = `apiVersion: landfall.dev/v1beta1
kind: Secret
metadata: {name: ${CREDENTIALS_SECRET}, namespace: ${ns}}
stringData: {username: ${vc.username}, password: ${vc.password}}
`;
  await applyYaml(srv, [secret, vsphereProviderYaml(ns, vc, { tls: opts.tls ?? "insecure" }), libvirtProviderYaml(ns, lv), ...(opts.more ?? [])].join("---\n"));
}
