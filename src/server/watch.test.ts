// Watches must release the store's iterator when the client goes away, whenever that happens.
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { openSqliteStore, type SqliteStore } from "../store/sqlite/index.ts";
import type { ResourceStore } from "../store/types.ts";
import { memoryAuth } from "./auth.ts";
import { buildServer } from "./build.ts";

const WATCH = "/apis/landfall.dev/v1beta1/namespaces/default/virtualmachines?watch=true";
let real: SqliteStore;
let app: FastifyInstance;
let url: string;
/** The signal of every store watch the server opened. */
const signals: AbortSignal[] = [];

before(async () => {
  real = await openSqliteStore({ path: ":memory:" });
  const store: ResourceStore = {
    ...real,
    watch: (kind, opts = {}) => {
      if (opts.signal) signals.push(opts.signal);
      return real.watch(kind, opts);
    },
  };
  app = buildServer({ store, auth: memoryAuth([{ token: "t", role: "admin" }]), version: "test" });
  url = await app.listen({ port: 0, host: "127.0.0.1" });
});
after(async () => {
  await app.close();
  await real.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens a watch and drops the connection after `ms`; resolves once the drop has had time to reach the server. */
async function watchThenDisconnect(ms: number): Promise<AbortSignal> {
  const before = signals.length;
  const req = request(`${url}${WATCH}`, { headers: { authorization: "Bearer t" } });
  req.on("error", () => {});
  req.end();
  while (signals.length === before) await sleep(1);
  await sleep(ms);
  req.destroy();
  await sleep(200);
  return signals[before];
}

describe("watch streams", () => {
  it("end the store watch when the client leaves before the stream has started", async () => {
    // The server holds a new watch back ~50 ms to answer a too-old resourceVersion as a Status: leave inside that.
    const signal = await watchThenDisconnect(5);
    assert.equal(signal.aborted, true);
  });

  it("end the store watch when the client leaves a running stream", async () => {
    const signal = await watchThenDisconnect(150);
    assert.equal(signal.aborted, true);
  });
});
