// Start / Stop (PATCH spec.powerState) and Restart (POST …/restart) for one VirtualMachine; shown only to
// callers who may write in its namespace.
import { Button, Flex, FlexItem } from "@patternfly/react-core";
import { objectPath } from "../api/client.ts";
import type { VirtualMachine } from "../api/generated.ts";
import { useAction } from "../api/hooks.ts";
import { useApi, useSession } from "../api/session.tsx";
import { desiredPower } from "../model/virtual-machines.ts";
import { ErrorAlert } from "./ErrorAlert.tsx";

export function PowerActions({ vm, withRestart = true }: { vm: VirtualMachine; withRestart?: boolean }) {
  const { canWrite } = useSession();
  return canWrite(vm.metadata.namespace ?? "default") ? <PowerButtons vm={vm} withRestart={withRestart} /> : null;
}

function PowerButtons({ vm, withRestart }: { vm: VirtualMachine; withRestart: boolean }) {
  const api = useApi();
  const ns = vm.metadata.namespace ?? "default";
  const path = objectPath("virtualmachines", ns, vm.metadata.name);
  const setPower = useAction((powerState: "On" | "Off") => api.mergePatch(path, { spec: { powerState } }), ["virtualmachines"]);
  const restart = useAction(() => api.post(`${path}/restart`), ["virtualmachines"]);
  const on = desiredPower(vm) === "On";
  const busy = setPower.isPending || restart.isPending;
  const error = setPower.error ?? restart.error;
  return (
    <div>
      <Flex spaceItems={{ default: "spaceItemsSm" }} flexWrap={{ default: "nowrap" }}>
        <FlexItem>
          {on ? (
            <Button variant="secondary" size="sm" isDanger isDisabled={busy} onClick={(e) => {
                e.stopPropagation();
                setPower.mutate("Off");
              }} aria-label={`Stop ${vm.metadata.name}`}>
              Stop
            </Button>
          ) : (
            <Button variant="secondary" size="sm" isDisabled={busy} onClick={(e) => {
                e.stopPropagation();
                setPower.mutate("On");
              }} aria-label={`Start ${vm.metadata.name}`}>
              Start
            </Button>
          )}
        </FlexItem>
        {withRestart && (
          <FlexItem>
            <Button variant="tertiary" size="sm" isDisabled={busy || !on} onClick={(e) => {
                e.stopPropagation();
                restart.mutate(undefined);
              }} aria-label={`Restart ${vm.metadata.name}`}>
              Restart
            </Button>
          </FlexItem>
        )}
      </Flex>
      {error && (
        <ErrorAlert
          error={error}
          title={`${vm.metadata.name}: action failed`}
          onClose={() => {
            setPower.reset();
            restart.reset();
          }}
        />
      )}
    </div>
  );
}
