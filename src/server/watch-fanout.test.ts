// Watch fan-out through a listening server: many clients each get every event of a burst, in order; a client
// that stops reading is dropped with 410 Expired instead of the server queueing events for it without end.
import assert from "node:assert/strict";
import { type IncomingMessage, request } from "node:http";
import { after, before, describe, it } from "node:test";
import type { KubeObject } from "../api/meta.ts";
import type { SqliteStore } from "../store/sqlite/index.ts";
import { ADMIN, type TestServer, testServer } from "./server.fixture.ts";

const CM = "/api/v1/namespaces/default/configmaps";
const SLOW_AFTER_MS = 500;
let server: TestServer;
let real: SqliteStore;
let url: string;
/** The signal of every store watch the server opened. */
let signals: AbortSignal[];

before(async () => {
  server = await testServer({ listen: true, slowWatchClientTimeoutMs: SLOW_AFTER_MS });
  real = server.store;
  url = server.url as string;
  signals = server.watchSignals;
});
after(() => server.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function openWatch(resourceVersion: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${CM}?watch=true&resourceVersion=${resourceVersion}`, { headers: { authorization: ADMIN.authorization }, agent: false }, resolve);
    req.on("error", reject);
    req.end();
  });
}

/** Every NDJSON line of a response until it ends (or `count` lines arrived). */
async function lines(res: IncomingMessage, count = Number.POSITIVE_INFINITY): Promise<Array<{ type: string; object: KubeObject & { code?: number; reason?: string } }>> {
  const out: Array<{ type: string; object: KubeObject }> = [];
  let rest = "";
  for await (const chunk of res) {
    const parts = (rest + String(chunk)).split("\n");
    rest = parts.pop() ?? "";
    for (const p of parts) if (p) out.push(JSON.parse(p));
    if (out.length >= count) break;
  }
  res.destroy();
  return out;
}

const configMap = (name: string, data: Record<string, string>) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" }, data });

describe("watch fan-out", () => {
  it("50 clients each receive every event of a burst of 300 writes, in order", async () => {
    const start = await real.revision();
    const clients = await Promise.all(Array.from({ length: 50 }, () => openWatch(start)));
    const received = clients.map((res) => lines(res, 300));
    for (let i = 0; i < 300; i++) await real.create(configMap(`burst-${String(i).padStart(3, "0")}`, { i: String(i) }));
    for (const events of await Promise.all(received)) {
      assert.deepEqual(
        events.map((e) => `${e.type} ${e.object.metadata.name}`),
        Array.from({ length: 300 }, (_, i) => `ADDED burst-${String(i).padStart(3, "0")}`),
      );
    }
  });

  it("a client that stops reading is dropped with 410 Expired, not buffered for", async () => {
    const before = signals.length;
    const res = await openWatch(await real.revision());
    res.pause();
    while (signals.length === before) await sleep(5);
    const watch = signals[before];
    // 300 × 64 KiB: far more than the socket buffers between server and client hold.
    const big = "x".repeat(64 * 1024);
    for (let i = 0; i < 300 && !watch.aborted; i++) await real.create(configMap(`big-${String(i).padStart(3, "0")}`, { big }));
    const deadline = Date.now() + 20 * SLOW_AFTER_MS;
    while (!watch.aborted && Date.now() < deadline) await sleep(10);
    assert.equal(watch.aborted, true, "the server ended the store watch of the client that stopped reading");
    res.resume();
    const events = await lines(res);
    const last = events.at(-1);
    assert.equal(last?.type, "ERROR");
    assert.equal(last?.object.code, 410);
    assert.equal(last?.object.reason, "Expired");
    const names = events.slice(0, -1).map((e) => e.object.metadata.name);
    assert.ok(names.length < 300, `the dropped client got ${names.length} of 300 events, not all of them`);
    assert.deepEqual(names, Array.from({ length: names.length }, (_, i) => `big-${String(i).padStart(3, "0")}`), "what it got is in order, without gaps");
  });
});
