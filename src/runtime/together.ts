// Runs tasks at once under one parent signal; the first failure aborts the others, and the call returns only
// when every task has settled (no task keeps writing after its caller moved on), rejecting with that failure.

export async function runTogether(parent: AbortSignal, tasks: ReadonlyArray<(signal: AbortSignal) => Promise<void>>): Promise<void> {
  const ac = new AbortController();
  const onParentAbort = () => ac.abort(parent.reason);
  if (parent.aborted) onParentAbort();
  else parent.addEventListener("abort", onParentAbort, { once: true });
  let first: { error: unknown } | undefined;
  try {
    await Promise.all(
      tasks.map((task) =>
        task(ac.signal).catch((error: unknown) => {
          if (!first) {
            first = { error };
            ac.abort(error);
          }
        }),
      ),
    );
  } finally {
    parent.removeEventListener("abort", onParentAbort);
  }
  if (first) throw first.error;
}
