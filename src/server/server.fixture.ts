// The server-with-a-store the server's tests share: an in-memory sqlite store behind buildServer with an admin
// and a viewer token, the store's watches recorded (their abort signals) so tests can see the server release
// them, and an admission check that confines disk paths to the storage pool as the real one does.
import type { FastifyInstance } from "fastify";
import { ApiError } from "../api/errors.ts";
import { openSqliteStore, type SqliteStore } from "../store/sqlite/index.ts";
import type { ResourceStore } from "../store/types.ts";
import { memoryAuth } from "./auth.ts";
import { buildServer } from "./build.ts";
import type { AdmissionCheck, ServerOptions } from "./types.ts";

export const ADMIN = { authorization: "Bearer admin-token" };
export const VIEWER = { authorization: "Bearer viewer-token" };
/** The landfall API group in the default namespace. */
export const P = "/apis/landfall.dev/v1beta1/namespaces/default";

export interface TestServer {
  app: FastifyInstance;
  /** The store under the server (its watches are not recorded; the server's are). */
  store: SqliteStore;
  /** The abort signal of every store watch the server opened, in order. */
  watchSignals: AbortSignal[];
  /** The server's URL when it was asked to listen. */
  url?: string;
  close(): Promise<void>;
}

/** buildServer over a fresh in-memory store; `listen` also binds it to a loopback port (for real sockets). */
export async function testServer(opts: Partial<Omit<ServerOptions, "store" | "auth">> & { listen?: boolean } = {}): Promise<TestServer> {
  const { listen, ...serverOptions } = opts;
  const store = await openSqliteStore({ path: ":memory:" });
  const watchSignals: AbortSignal[] = [];
  const recording: ResourceStore = {
    ...store,
    watch: (kind, watchOpts = {}) => {
      if (watchOpts.signal) watchSignals.push(watchOpts.signal);
      return store.watch(kind, watchOpts);
    },
  };
  const app = buildServer({
    store: recording,
    auth: memoryAuth([
      { token: "admin-token", role: "admin" },
      { token: "viewer-token", role: "viewer" },
    ]),
    version: "test",
    ...serverOptions,
  });
  let url: string | undefined;
  if (listen) url = await app.listen({ port: 0, host: "127.0.0.1" });
  else await app.ready();
  return {
    app,
    store,
    watchSignals,
    url,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

/** Calls seen (for the test to assert on), then refuses a VirtualMachine disk path outside /var/lib/landfall/ with a 422 naming the field. */
export function poolPathAdmission(seen: Parameters<AdmissionCheck>[] = []): AdmissionCheck {
  return async (...args) => {
    seen.push(args);
    const path = (args[1].spec as { importedDisk?: { path?: string } }).importedDisk?.path ?? "";
    if (!path.startsWith("/var/lib/landfall/")) {
      throw new ApiError("Invalid", `spec.importedDisk.path "${path}" is outside the storage pool`, { causes: [{ field: "spec.importedDisk.path", message: "outside" }] });
    }
  };
}
