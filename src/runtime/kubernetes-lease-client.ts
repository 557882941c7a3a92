// The elector's LeaseClient (src/runtime/leader.ts) over coordination.k8s.io/v1 Leases with @kubernetes/client-node.
// Times travel as RFC 3339 strings both ways (the elector compares renewTime records as text).
import { CoordinationV1Api, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import { isApiError } from "../api/errors.ts";
import type { Lease, LeaseClient } from "./leader.ts";
import { kubeCall, plainJson } from "../api/kube-wire.ts";

/** A server Lease as the elector's Lease: plain JSON, times as strings. */
export function leaseFromWire(raw: unknown): Lease {
  const l = plainJson(raw) as Lease;
  return { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: l.metadata, spec: l.spec ?? {} };
}

export function kubernetesLeaseClient(kubeConfig: KubeConfig): LeaseClient {
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  return {
    async get(namespace, name) {
      try {
        return leaseFromWire(await kubeCall(`get Lease ${namespace}/${name}`, () => api.readNamespacedLease({ namespace, name })));
      } catch (err) {
        if (isApiError(err, "NotFound")) return undefined;
        throw err;
      }
    },
    async create(lease) {
      const { namespace, name } = lease.metadata;
      return leaseFromWire(await kubeCall(`create Lease ${namespace}/${name}`, () => api.createNamespacedLease({ namespace, body: lease as unknown as V1Lease })));
    },
    async update(lease) {
      const { namespace, name } = lease.metadata;
      return leaseFromWire(await kubeCall(`update Lease ${namespace}/${name}`, () => api.replaceNamespacedLease({ namespace, name, body: lease as unknown as V1Lease })));
    },
  };
}
