// An API error as the user sees it: the server's Status message and every field cause, never swallowed.
import { Alert, AlertActionCloseButton } from "@patternfly/react-core";
import { ApiRequestError } from "../api/client.ts";

export function ErrorAlert({ error, title, onClose }: { error: unknown; title: string; onClose?: () => void }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const causes = error instanceof ApiRequestError ? error.causes : [];
  return (
    <Alert
      variant="danger"
      isInline
      title={title}
      data-testid="api-error"
      actionClose={onClose ? <AlertActionCloseButton onClose={onClose} /> : undefined}
      style={{ marginBottom: "var(--pf-t--global--spacer--md)" }}
    >
      <p>{message}</p>
      {causes.length > 0 && (
        <ul>
          {causes.map((c) => (
            <li key={`${c.field}:${c.message}`}>{c.field ? `${c.field}: ${c.message}` : c.message}</li>
          ))}
        </ul>
      )}
    </Alert>
  );
}
