// For runner unit tests that never reach guest conversion: the guest dependencies fail loudly if they are used.
import type { RunnerDeps } from "./step-context.ts";

const unused = (what: string) => () => {
  throw new Error(`test fixture: ${what} was called, but this test does not expect guest conversion`);
};

export const noGuestConversion: Pick<RunnerDeps, "guest" | "virtioWin"> = {
  guest: {
    tools: { convertGuest: unused("convertGuest"), createOverlay: unused("createOverlay"), flatten: unused("flatten"), imageSha256: unused("imageSha256") },
    mayHoldGuest: unused("mayHoldGuest"),
  },
  virtioWin: async () => ({ path: "/usr/share/virtio-win", present: false }),
};
