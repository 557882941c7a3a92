// `adopt --full VM` (Kubernetes mode): talks to the cluster directly (kubeconfig), not to a landfall server. The
// VirtualMachine must already be adopted (a mirror of a KubeVirt VM); its Cozystack rendering is applied in order
// (fullAdoptionSteps), each step printed, and the outcome recorded on the VirtualMachine as condition
// FullyAdopted.
import type { KubeConfig } from "@kubernetes/client-node";
import type { Conventions } from "../../api/conventions.ts";
import type { Provider } from "../../api/provider.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import { executeFullAdoption, fullAdoptionSteps } from "../../controllers/adoption/full.ts";
import { providerKey } from "../../controllers/provider/ref.ts";
import { clusterObjects } from "../../providers/kubevirt/cluster-objects.ts";
import { createKubeVirtTarget } from "../../providers/kubevirt/target.ts";
import { renderCozystack } from "../../render/cozystack.ts";
import { volumesOfLiveKubeVirtVM } from "../../render/vminstance-values.ts";
import { setCondition } from "../../runtime/conditions.ts";
import { patchStatus } from "../../runtime/status.ts";
import { createKubernetesStore } from "../../store/kubernetes/store.ts";

export interface AdoptFullInput {
  kubeConfig: KubeConfig;
  namespace: string;
  vm: string;
  conventions: Conventions;
  plan?: string;
  report: (line: string) => void;
}

export async function adoptFull(input: AdoptFullInput): Promise<string[]> {
  const store = createKubernetesStore({ kubeConfig: input.kubeConfig });
  try {
    const vm = await store.get<VirtualMachine>("VirtualMachine", input.namespace, input.vm);
    const uid = vm.status?.providerID;
    if (!uid) throw new Error(`VirtualMachine "${input.namespace}/${input.vm}" has no status.providerID; adopt the KubeVirt VM first (landfall adopt PROVIDER/VM)`);
    const provider = await store.get<Provider>("Provider", providerKey(vm.spec.providerRef, input.namespace).namespace, vm.spec.providerRef.name);
    if (provider.spec.type !== "kubevirt") throw new Error(`VirtualMachine "${input.vm}" runs on Provider "${provider.metadata.name}" of type ${provider.spec.type}; full Cozystack adoption takes over KubeVirt VMs only`);
    const clusterNamespace = provider.spec.namespace ?? input.namespace;
    const target = createKubeVirtTarget({ kubeConfig: input.kubeConfig, conventions: input.conventions, namespace: clusterNamespace });
    const live = await target.getVM({ uuid: uid });
    if (!live) throw new Error(`no KubeVirt VirtualMachine with uid ${uid} in namespace ${clusterNamespace}; it was deleted or moved`);
    const plan = input.plan ?? Object.entries(vm.metadata.labels ?? {}).find(([k]) => k.endsWith("/original-plan"))?.[1];
    const rendered = renderCozystack(
      { vm, live, conventions: input.conventions, namespace: clusterNamespace, existingVolumes: volumesOfLiveKubeVirtVM(live), ...(plan ? { plan } : {}) },
      "helmrelease",
    );
    const steps = fullAdoptionSteps(input.vm, rendered);
    let done: string[] = [];
    let failure: Error | undefined;
    try {
      done = await executeFullAdoption(steps, clusterObjects(input.kubeConfig), input.report);
    } catch (err) {
      failure = err as Error;
    }
    await patchStatus<VirtualMachine, NonNullable<VirtualMachine["status"]>>(store, "VirtualMachine", input.namespace, input.vm, (s) => {
      s.conditions = setCondition(s.conditions, {
        type: "FullyAdopted",
        status: failure ? "False" : "True",
        reason: failure ? "StepFailed" : "HelmReleaseApplied",
        message: failure ? `after ${done.length}/${steps.length} steps (${done.join("; ") || "none"}): ${failure.message}` : done.join("; "),
      });
    });
    if (failure) throw failure;
    return done;
  } finally {
    await store.close();
  }
}
