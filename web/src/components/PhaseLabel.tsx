// A phase or condition as a coloured label.
import { Label } from "@patternfly/react-core";

const COLOURS: Record<string, "green" | "red" | "blue" | "orange" | "grey" | "purple"> = {
  Running: "green",
  Succeeded: "green",
  Ready: "green",
  Verified: "green",
  Stopped: "grey",
  Pending: "grey",
  Failed: "red",
  PartiallySucceeded: "orange",
  NotReady: "red",
};

export function PhaseLabel({ phase }: { phase: string | undefined }) {
  const p = phase ?? "Pending";
  return (
    <Label color={COLOURS[p] ?? "blue"} isCompact data-phase={p}>
      {p}
    </Label>
  );
}
