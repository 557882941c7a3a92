// Entry point: PatternFly styles, the query cache, the session, the app.
import "@patternfly/react-core/dist/styles/base.css";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { isUnauthorized } from "./api/client.ts";
import { SessionProvider } from "./api/session.tsx";
import { App } from "./App.tsx";

const queryClient = new QueryClient({
  defaultOptions: {
    // A rejected token will not get better by retrying; other failures get one quick retry.
    queries: { retry: (count, err) => !isUnauthorized(err) && count < 1, refetchOnWindowFocus: false, staleTime: 2_000 },
  },
});

const root = document.getElementById("root");
if (!root) throw new Error("index.html lacks #root");
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <SessionProvider>
        <App />
      </SessionProvider>
    </QueryClientProvider>
  </StrictMode>,
);
