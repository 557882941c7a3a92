// Loading and error states shared by every list page.
import { Bullseye, Spinner } from "@patternfly/react-core";
import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { ErrorAlert } from "./ErrorAlert.tsx";

/** Renders children once the query has data; shows the API's error above stale data rather than hiding it. */
export function QueryState<T>({ query, what, children }: { query: UseQueryResult<T>; what: string; children: (data: T) => ReactNode }) {
  return (
    <>
      {query.error && <ErrorAlert error={query.error} title={`Could not load ${what}`} />}
      {query.data !== undefined ? (
        children(query.data)
      ) : query.isPending ? (
        <Bullseye>
          <Spinner aria-label={`Loading ${what}`} />
        </Bullseye>
      ) : null}
    </>
  );
}
