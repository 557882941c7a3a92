// Watch bookmarks: only when asked for (allowWatchBookmarks), carrying a revision the client can resume from
// without losing an event — the last one delivered.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { openSqliteStore, type SqliteStore } from "../store/sqlite/index.ts";
import { memoryAuth } from "./auth.ts";
import { buildServer } from "./build.ts";

const P = "/apis/landfall.dev/v1beta1/namespaces/default/virtualmachines";
let store: SqliteStore;
let app: FastifyInstance;
let url: string;

before(async () => {
  store = await openSqliteStore({ path: ":memory:" });
  app = buildServer({ store, auth: memoryAuth([{ token: "t", role: "admin" }]), version: "test", bookmarkIntervalMs: 100 });
  url = await app.listen({ port: 0, host: "127.0.0.1" });
});
after(async () => {
  await app.close();
  await store.close();
});

type Event = { type: string; object: { kind: string; metadata: { name?: string; resourceVersion: string } } };

/** Reads NDJSON events from a watch for `ms`, running `during` once it is open. */
async function watchFor(query: string, ms: number, during: () => Promise<void>): Promise<Event[]> {
  const abort = new AbortController();
  const res = await fetch(`${url}${P}?watch=true${query}`, { headers: { authorization: "Bearer t" }, signal: abort.signal });
  assert.equal(res.status, 200);
  const events: Event[] = [];
  const reading = (async () => {
    let buffer = "";
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let nl = buffer.indexOf("\n");
        while (nl >= 0) {
          events.push(JSON.parse(buffer.slice(0, nl)) as Event);
          buffer = buffer.slice(nl + 1);
          nl = buffer.indexOf("\n");
        }
      }
    } catch {
      // aborted
    }
  })();
  await during();
  await new Promise((r) => setTimeout(r, ms));
  abort.abort();
  await reading;
  return events;
}

const vm = (name: string) => ({ apiVersion: "landfall.dev/v1beta1", kind: "VirtualMachine", metadata: { name }, spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: "d" } } });
const create = async (name: string) => {
  const res = await fetch(`${url}${P}`, { method: "POST", headers: { authorization: "Bearer t", "content-type": "application/json" }, body: JSON.stringify(vm(name)) });
  assert.equal(res.status, 201);
};

describe("watch bookmarks", () => {
  it("sends BOOKMARKs with the last delivered revision when allowed", async () => {
    const events = await watchFor("&allowWatchBookmarks=true", 350, () => create("a"));
    const added = events.find((e) => e.type === "ADDED");
    assert.ok(added, JSON.stringify(events));
    const after = events.slice(events.indexOf(added)).filter((e) => e.type === "BOOKMARK");
    assert.ok(after.length >= 1, JSON.stringify(events));
    assert.deepEqual(after.at(-1)?.object, { kind: "VirtualMachine", apiVersion: "landfall.dev/v1beta1", metadata: { resourceVersion: added.object.metadata.resourceVersion } });
  });

  it("names a revision from before the watch began when nothing was delivered yet", async () => {
    const listed = (await (await fetch(`${url}${P}`, { headers: { authorization: "Bearer t" } })).json()) as { metadata: { resourceVersion: string } };
    const events = await watchFor("&allowWatchBookmarks=true", 250, async () => undefined);
    assert.ok(events.length >= 1);
    for (const e of events) {
      assert.equal(e.type, "BOOKMARK");
      assert.ok(Number(e.object.metadata.resourceVersion) <= Number(listed.metadata.resourceVersion));
    }
  });

  it("sends none unless asked", async () => {
    const events = await watchFor("", 300, () => create("b"));
    assert.deepEqual(events.map((e) => e.type), ["ADDED"]);
  });
});
