// The HTTP API against a real `bin/landfall serve` process (SQLite store in a temp data dir).
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { stat, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";

const G = "/apis/landfall.dev/v1beta1";
const VMS = `${G}/namespaces/default/virtualmachines`;

let srv: ServeProcess;
let admin: string;
let viewer: string;

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

async function call(method: string, path: string, opts: { token?: string | null; body?: unknown; raw?: string; type?: string; accept?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? admin : opts.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.accept) headers.accept = opts.accept;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers["content-type"] = opts.type ?? "application/json";
  const res = await fetch(srv.url + path, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Sends the path byte for byte (fetch would normalise `..`). */
function rawGet(path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(srv.url);
    const req = httpRequest({ host: u.hostname, port: u.port, path, method: "GET", headers: { authorization: `Bearer ${admin}` } }, (res) => {
      let text = "";
      res.on("data", (d) => {
        text += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end();
  });
}

const vm = (name: string, spec: Record<string, unknown> = { importedDisk: { diskID: `${name}-disk0` } }) => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "VirtualMachine",
  metadata: { name },
  spec: { providerRef: { name: "kvm" }, ...spec },
});

const names = async (): Promise<string[]> => ((await call("GET", VMS)).body.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name).sort();

before(async () => {
  // The API alone: these tests check HTTP semantics on objects no controller may touch meanwhile.
  srv = await startServeProcess({ args: ["--controllers", "none"] });
  admin = srv.adminToken;
  const res = await call("POST", "/auth/tokens", { body: { role: "viewer", name: "ro" } });
  assert.equal(res.status, 201);
  viewer = res.body.token as string;
});
after(async () => {
  await srv?.stop();
});

describe("API server (real serve process)", () => {
  it("keeps the admin token 0600 and stores only token digests", async () => {
    const st = await stat(join(srv.dataDir, "admin.token"));
    assert.equal(st.mode & 0o777, 0o600);
    const tokens = await readFile(join(srv.dataDir, "tokens.json"), "utf8");
    assert.ok(!tokens.includes(admin) && !tokens.includes(viewer));
    assert.equal(JSON.parse(tokens).tokens.length, 2);
  });

  it("answers /healthz and /version without a token, and 401 without or with a bad token", async () => {
    assert.equal((await fetch(`${srv.url}/healthz`)).status, 200);
    assert.equal((await call("GET", "/version", { token: null })).body.version, "0.1.0");
    const none = await call("GET", VMS, { token: null });
    assert.equal(none.status, 401);
    assert.equal(none.body.kind, "Status");
    assert.equal((await call("GET", VMS, { token: "lf_wrong" })).status, 401);
  });

  it("creates a VirtualMachine with uid and resourceVersion, and lists it", async () => {
    const res = await call("POST", VMS, { body: vm("web01") });
    assert.equal(res.status, 201);
    const meta = res.body.metadata as Record<string, string>;
    assert.ok(meta.uid && meta.resourceVersion);
    assert.equal(meta.namespace, "default");
    const got = await call("GET", `${VMS}/web01`);
    assert.equal((got.body.metadata as Record<string, string>).uid, meta.uid);
    const list = await call("GET", `${G}/virtualmachines`);
    assert.equal(list.body.kind, "VirtualMachineList");
    assert.ok((list.body.metadata as Record<string, string>).resourceVersion);
  });

  it("rejects imageRef with importedDisk, and neither, naming both fields; nothing is stored", async () => {
    for (const spec of [{ imageRef: { name: "ubuntu" }, importedDisk: { diskID: "d" } }, {}]) {
      const res = await call("POST", VMS, { body: vm("both-or-none", spec) });
      assert.equal(res.status, 422);
      assert.match(res.body.message as string, /spec\.imageRef/);
      assert.match(res.body.message as string, /spec\.importedDisk/);
    }
    assert.equal((await call("GET", `${VMS}/both-or-none`)).status, 404);
  });

  it("lets exactly one of two concurrent PUTs from the same resourceVersion win", async () => {
    const cur = (await call("GET", `${VMS}/web01`)).body;
    const put = (cpus: number) => call("PUT", `${VMS}/web01`, { body: { ...cur, spec: { ...(cur.spec as object), cpus } } });
    const results = await Promise.all([put(2), put(3)]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409]);
    assert.equal(results.find((r) => r.status === 409)?.body.reason, "Conflict");
  });

  it("PUT ignores status; /status changes only status; PATCH merges and applies JSON patches", async () => {
    const cur = (await call("GET", `${VMS}/web01`)).body;
    const put = await call("PUT", `${VMS}/web01`, { body: { ...cur, metadata: { name: "web01" }, status: { phase: "Running" } } });
    assert.equal(put.status, 200);
    assert.equal(put.body.status, undefined);
    const st = await call("PUT", `${VMS}/web01/status`, { body: { ...cur, metadata: { name: "web01" }, spec: { providerRef: { name: "other" } }, status: { phase: "Running" } } });
    assert.equal(st.status, 200);
    assert.equal((st.body.status as Record<string, string>).phase, "Running");
    assert.equal((st.body.spec as { providerRef: { name: string } }).providerRef.name, "kvm");
    const merge = await call("PATCH", `${VMS}/web01`, { body: { metadata: { labels: { app: "web" } }, spec: { cpus: 4 } }, type: "application/merge-patch+json" });
    assert.equal(merge.status, 200);
    assert.equal((merge.body.spec as Record<string, number>).cpus, 4);
    const jp = await call("PATCH", `${VMS}/web01`, {
      body: [
        { op: "test", path: "/spec/cpus", value: 4 },
        { op: "replace", path: "/spec/cpus", value: 8 },
      ],
      type: "application/json-patch+json",
    });
    assert.equal((jp.body.spec as Record<string, number>).cpus, 8);
    const bad = await call("PATCH", `${VMS}/web01`, { body: { spec: { imageRef: { name: "x" } } }, type: "application/merge-patch+json" });
    assert.equal(bad.status, 422);
    assert.equal((await call("PATCH", `${VMS}/web01`, { body: {}, type: "application/json" })).status, 415);
    const stale = await call("PATCH", `${VMS}/web01`, { body: { metadata: { resourceVersion: "1" }, spec: { cpus: 1 } }, type: "application/merge-patch+json" });
    assert.equal(stale.status, 409);
  });

  it("filters lists by label and pages them", async () => {
    await call("POST", VMS, { body: vm("web02") });
    await call("POST", VMS, { body: vm("web03") });
    const sel = await call("GET", `${VMS}?labelSelector=app%3Dweb`);
    assert.deepEqual((sel.body.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name), ["web01"]);
    const page1 = await call("GET", `${VMS}?limit=2`);
    assert.equal((page1.body.items as unknown[]).length, 2);
    const cont = (page1.body.metadata as Record<string, string>).continue;
    assert.ok(cont);
    const page2 = await call("GET", `${VMS}?limit=2&continue=${encodeURIComponent(cont)}`);
    assert.equal((page2.body.items as unknown[]).length, 1);
  });

  it("rejects bad input with a clear 4xx Status and writes nothing", async () => {
    const before = await names();
    const cases: Array<[Promise<Reply>, number]> = [
      [call("POST", VMS, { raw: "kind: VirtualMachine\nmetadata: {name: [x\n", type: "application/yaml" }), 400],
      [call("POST", VMS, { raw: "{not json", type: "application/json" }), 400],
      [call("POST", `${G}/namespaces/default/widgets`, { body: { ...vm("w"), kind: "Widget" } }), 404],
      [call("POST", VMS, { raw: JSON.stringify({ ...vm("huge"), metadata: { name: "huge", annotations: { a: "x".repeat(1100 * 1024) } } }) }), 413],
      [call("POST", VMS, { raw: "x", type: "text/plain" }), 415],
      [call("POST", VMS, { body: { ...vm("kindless"), kind: "Provider" } }), 400],
      [call("POST", `${G}/namespaces/other/virtualmachines`, { body: { ...vm("x"), metadata: { name: "x", namespace: "default" } } }), 400],
      [call("PUT", `${VMS}/web02`, { body: vm("web03") }), 400],
      [call("GET", `${VMS}/a%2Fb`), 400],
      [call("GET", `${VMS}/UPPER`), 400],
      [call("GET", `${VMS}/${encodeURIComponent("$(rm -rf ~);x")}`), 400],
      [call("POST", VMS, { body: vm("Upper") }), 422],
      [call("POST", VMS, { body: vm("a/b") }), 422],
      [call("POST", VMS, { body: vm("..") }), 422],
      [call("POST", VMS, { body: vm("x;rm -rf") }), 422],
      [call("POST", `${G}/namespaces/UP/virtualmachines`, { body: vm("x") }), 400],
      [rawGet(`${VMS}/../../../../etc/passwd`), 404],
      [rawGet(`${VMS}/..`), 400],
    ];
    for (const [p, code] of cases) {
      const res = await p;
      assert.equal(res.status, code, JSON.stringify(res.body));
      assert.equal(res.body.kind, "Status");
      assert.equal(res.body.code, code);
      assert.ok((res.body.message as string).length > 10);
    }
    assert.match((await call("POST", VMS, { body: vm("Upper") })).body.message as string, /metadata\.name/);
    assert.deepEqual(await names(), before);
  });

  it("lets viewers read but not write, and never shows them Secret values", async () => {
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "vc" }, stringData: { password: "hunter2" } };
    assert.equal((await call("POST", "/api/v1/namespaces/default/secrets", { body: secret })).status, 201);
    assert.equal((await call("POST", VMS, { body: vm("by-viewer"), token: viewer })).status, 403);
    assert.equal((await call("DELETE", `${VMS}/web01`, { token: viewer })).status, 403);
    assert.equal((await call("POST", "/auth/tokens", { body: { role: "admin" }, token: viewer })).status, 403);
    assert.equal((await call("GET", VMS, { token: viewer })).status, 200);
    const asViewer = await call("GET", `${G}/namespaces/default/secrets/vc`, { token: viewer });
    assert.ok(!JSON.stringify(asViewer.body).includes(Buffer.from("hunter2").toString("base64")));
    assert.ok("password" in (asViewer.body.data as object));
    const asAdmin = await call("GET", "/api/v1/namespaces/default/secrets/vc");
    assert.equal(Buffer.from((asAdmin.body.data as Record<string, string>).password, "base64").toString(), "hunter2");
    const list = await call("GET", `${G}/secrets`);
    assert.ok(!JSON.stringify(list.body).includes(Buffer.from("hunter2").toString("base64")));
    const db = await readFile(join(srv.dataDir, "landfall.db"));
    assert.ok(!db.includes(Buffer.from("hunter2")) && !db.includes(Buffer.from(Buffer.from("hunter2").toString("base64"))));
  });

  it("streams watch events as NDJSON and as Server-Sent Events", async () => {
    const rv = (await call("GET", VMS)).body.metadata as { resourceVersion: string };
    const ac = new AbortController();
    const nd = await fetch(`${srv.url}${VMS}?watch=true&resourceVersion=${rv.resourceVersion}`, { headers: { authorization: `Bearer ${admin}` }, signal: ac.signal });
    const sse = await fetch(`${srv.url}${VMS}?watch=true&resourceVersion=${rv.resourceVersion}`, { headers: { accept: "text/event-stream", authorization: `Bearer ${viewer}` }, signal: ac.signal });
    assert.equal(nd.status, 200);
    assert.equal(sse.headers.get("content-type"), "text/event-stream");
    await call("POST", VMS, { body: vm("watched") });
    await call("PATCH", `${VMS}/watched`, { body: { spec: { cpus: 2 } }, type: "application/merge-patch+json" });
    await call("DELETE", `${VMS}/watched`);
    const read = async (res: Response, done: (t: string) => boolean) => {
      let text = "";
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        if (done(text)) break;
      }
      return text;
    };
    const ndText = await read(nd, (t) => t.split("\n").filter(Boolean).length >= 3);
    const events = ndText.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string } } });
    assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ["ADDED watched", "MODIFIED watched", "DELETED watched"]);
    const sseText = await read(sse, (t) => t.includes("event: DELETED"));
    assert.match(sseText, /event: ADDED\ndata: \{.*"watched"/);
    assert.match(sseText, /event: MODIFIED\n/);
    ac.abort();
    // Tokens never ride in URLs (proxies and logs record them), not even for watches.
    assert.equal((await fetch(`${srv.url}${VMS}?access_token=${admin}`)).status, 401);
    assert.equal((await fetch(`${srv.url}${VMS}?watch=true&access_token=${admin}`, { headers: { accept: "text/event-stream" } })).status, 401);
    const gone = await call("GET", `${VMS}?watch=true&resourceVersion=999999`);
    assert.equal(gone.status, 410);
    assert.equal(gone.body.reason, "Gone");
  });

  it("honours a delete precondition given as a query parameter or as a Kubernetes DeleteOptions body", async () => {
    const created = await call("POST", VMS, { body: vm("precond") });
    const rv = (created.body.metadata as Record<string, string>).resourceVersion;
    const stale = String(Number(rv) - 1);
    assert.equal((await call("DELETE", `${VMS}/precond?resourceVersion=${stale}`)).status, 409);
    assert.equal((await call("DELETE", `${VMS}/precond`, { body: { kind: "DeleteOptions", apiVersion: "v1", preconditions: { resourceVersion: stale } } })).status, 409);
    assert.equal((await call("GET", `${VMS}/precond`)).status, 200, "nothing was deleted");
    assert.equal((await call("DELETE", `${VMS}/precond`, { body: { kind: "DeleteOptions", apiVersion: "v1", preconditions: { resourceVersion: rv } } })).status, 200);
  });

  it("honours finalizers on delete and serves discovery", async () => {
    await call("POST", VMS, { body: { ...vm("guarded"), metadata: { name: "guarded", finalizers: ["landfall.dev/cleanup"] } } });
    const del = await call("DELETE", `${VMS}/guarded?propagationPolicy=Orphan`);
    assert.equal(del.status, 200);
    assert.ok((del.body.metadata as Record<string, string>).deletionTimestamp);
    assert.equal((await call("GET", `${VMS}/guarded`)).status, 200);
    assert.equal((await call("DELETE", `${VMS}/guarded?propagationPolicy=Sideways`)).status, 400);
    const disc = await call("GET", G);
    const vmRes = (disc.body.resources as Array<{ name: string; shortNames?: string[] }>).find((r) => r.name === "virtualmachines");
    assert.deepEqual(vmRes?.shortNames, ["vm", "vms"]);
    const metrics = await fetch(`${srv.url}/metrics`);
    assert.equal(metrics.status, 200);
  });
});
