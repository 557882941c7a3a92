// Login: paste a token; the server exchanges it for an HttpOnly session cookie (a bad one is reported at
// once). The token is not kept anywhere in the page.
import { ActionGroup, Button, Card, CardBody, CardTitle, Form, FormGroup, FormHelperText, HelperText, HelperTextItem, PageSection, TextInput } from "@patternfly/react-core";
import { type FormEvent, useState } from "react";
import { ApiRequestError } from "../api/client.ts";
import { useSession } from "../api/session.tsx";
import { ErrorAlert } from "../components/ErrorAlert.tsx";

export function LoginPage() {
  const { login, endedBecause } = useSession();
  const [token, setToken] = useState("");
  const [error, setError] = useState<unknown>(endedBecause ? new ApiRequestError(401, endedBecause) : null);
  const [checking, setChecking] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) {
      setError(new Error("Paste a token first: the admin token is in <data-dir>/admin.token, or create one with 'landfall token create'."));
      return;
    }
    setChecking(true);
    try {
      await login(t);
      setToken("");
    } catch (err) {
      setError(err);
    } finally {
      setChecking(false);
    }
  };

  const title = error instanceof ApiRequestError && error.status === 401 ? "The server rejected this token (401 Unauthorized)" : "Cannot log in";
  return (
    <PageSection isFilled>
      <Card style={{ maxWidth: 560, margin: "10vh auto 0" }}>
        <CardTitle>
          <span style={{ fontSize: "var(--pf-t--global--font--size--heading--h2)" }}>Log in to landfall</span>
        </CardTitle>
        <CardBody>
          {error ? <ErrorAlert error={error} title={title} /> : null}
          <Form onSubmit={submit}>
            <FormGroup label="API token" isRequired fieldId="token">
              <TextInput id="token" name="token" type="password" value={token} onChange={(_e, v) => setToken(v)} autoComplete="off" aria-label="API token" />
              <FormHelperText>
                <HelperText>
                  <HelperTextItem>The admin token is in &lt;data-dir&gt;/admin.token; others come from 'landfall token create --role viewer|editor|admin'.</HelperTextItem>
                </HelperText>
              </FormHelperText>
            </FormGroup>
            <ActionGroup>
              <Button type="submit" variant="primary" isLoading={checking} isDisabled={checking}>
                Log in
              </Button>
            </ActionGroup>
          </Form>
        </CardBody>
      </Card>
    </PageSection>
  );
}
