// Watches must release the store's iterator when the client goes away, whenever that happens.
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { ADMIN, type TestServer, testServer } from "./server.fixture.ts";

const WATCH = "/apis/landfall.dev/v1beta1/namespaces/default/virtualmachines?watch=true";
let server: TestServer;
let url: string;
/** The signal of every store watch the server opened. */
let signals: AbortSignal[];

before(async () => {
  server = await testServer({ listen: true });
  url = server.url as string;
  signals = server.watchSignals;
});
after(() => server.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens a watch and drops the connection after `ms`; resolves once the drop has had time to reach the server. */
async function watchThenDisconnect(ms: number): Promise<AbortSignal> {
  const before = signals.length;
  const req = request(`${url}${WATCH}`, { headers: { authorization: ADMIN.authorization } });
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
