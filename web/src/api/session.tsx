// Who is logged in: the pasted token (kept in localStorage) and the client built from it. Any 401 from the
// API ends the session and brings back the login page with the server's message.
import { useQueryClient } from "@tanstack/react-query";
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from "react";
import { type ApiClient, createApiClient } from "./client.ts";

const TOKEN_KEY = "landfall.token";

export interface Session {
  client: ApiClient | null;
  /** Why the last session ended (a rejected token), shown on the login page. */
  endedBecause: string | null;
  login(token: string): void;
  logout(reason?: string): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [token, setToken] = useState<string | null>(() => localStorage.getItem(TOKEN_KEY));
  const [endedBecause, setEndedBecause] = useState<string | null>(null);
  const login = useCallback(
    (t: string) => {
      localStorage.setItem(TOKEN_KEY, t);
      queryClient.clear();
      setEndedBecause(null);
      setToken(t);
    },
    [queryClient],
  );
  const logout = useCallback(
    (reason?: string) => {
      localStorage.removeItem(TOKEN_KEY);
      queryClient.clear();
      setEndedBecause(reason ?? null);
      setToken(null);
    },
    [queryClient],
  );
  const client = useMemo(() => (token ? createApiClient(token) : null), [token]);
  const value = useMemo(() => ({ client, endedBecause, login, logout }), [client, endedBecause, login, logout]);
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
