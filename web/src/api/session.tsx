// Who is logged in. The session lives in an HttpOnly cookie the page cannot read; the page learns the
// identity from GET /auth/whoami, logs in by exchanging a token for the cookie (POST /auth/session) and logs
// out with DELETE /auth/session, which ends the session on the server. No token is kept in the browser.
// Any 401 from the API ends the session and brings back the login page with the server's message.
// While the first whoami is pending the client is already usable: the page's first list is read beside whoami
// instead of after it (one round trip less before the first rows); a 401 then just shows the login page.
import { useQueryClient } from "@tanstack/react-query";
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import { mayWrite, type Identity } from "../model/identity.ts";
import { type ApiClient, createApiClient, isUnauthorized } from "./client.ts";

export interface Session {
  /** undefined while the first whoami is pending; null when logged out. */
  identity: Identity | null | undefined;
  /** The API client; null only when logged out (usable while the first whoami is pending). */
  client: ApiClient | null;
  /** Why the last session ended (a rejected token), shown on the login page. */
  endedBecause: string | null;
  login(token: string): Promise<void>;
  logout(reason?: string): void;
  /** Whether to offer write actions in this namespace. */
  canWrite(namespace: string): boolean;
}

const SessionContext = createContext<Session | null>(null);
const api = createApiClient();

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [identity, setIdentity] = useState<Identity | null | undefined>(undefined);
  const [endedBecause, setEndedBecause] = useState<string | null>(null);
  // Whether a session was known: a 401 before the first whoami answered ends nothing the user saw.
  const known = useRef(false);
  known.current = identity !== undefined;

  useEffect(() => {
    api.get<Identity>("/auth/whoami").then(setIdentity, (err: unknown) => {
      setIdentity(null);
      if (!isUnauthorized(err)) setEndedBecause((err as Error).message);
    });
  }, []);

  const login = useCallback(
    async (token: string) => {
      const who = await api.post<Identity>("/auth/session", { token });
      queryClient.clear();
      setEndedBecause(null);
      setIdentity(who);
    },
    [queryClient],
  );
  const logout = useCallback(
    (reason?: string) => {
      const ended = known.current ? (reason ?? null) : null;
      // Ends the session server-side (the cookie alone would otherwise stay valid until it expires), and only
      // then shows the login form: a page that says "logged out" while the cookie still works would be lying.
      void api
        .delete("/auth/session")
        .catch(() => undefined)
        .then(() => {
          queryClient.clear();
          setEndedBecause(ended);
          setIdentity(null);
        });
    },
    [queryClient],
  );
  const value = useMemo<Session>(
    () => ({ identity, client: identity === null ? null : api, endedBecause, login, logout, canWrite: (ns) => (identity ? mayWrite(identity, ns) : false) }),
    [identity, endedBecause, login, logout],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside SessionProvider");
  return s;
}

/** The API client of the logged-in session (pages render only when there is one). */
export function useApi(): ApiClient {
  const { client } = useSession();
  if (!client) throw new Error("no session: the login page should have been shown");
  return client;
}
