// Authorization of the real composition (startEmbedded: file tokens, audit log, every route the composition
// root registers), driven in process. The route walk is generated from the server's own route table.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DELETE_DISKS_ANNOTATION } from "../controllers/virtualmachine/decide.ts";
import { registeredRoutes, type RouteEntry } from "../server/authorize.ts";
import { type Embedded, startEmbedded } from "./embedded.ts";

const G = "/apis/landfall.dev/v1beta1";
let emb: Embedded;
let dataDir: string;
const tok: Record<string, string> = {};

type Headers = Record<string, string>;
const bearer = (name: string): Headers => ({ authorization: `Bearer ${tok[name]}` });

async function call(method: string, url: string, headers: Headers = {}, body?: unknown) {
  const type = method === "PATCH" ? "application/merge-patch+json" : "application/json";
  const payload = body !== undefined ? JSON.stringify(body) : ["POST", "PUT", "PATCH"].includes(method) ? "{}" : undefined;
  const res = await emb.server.inject({ method: method as "GET", url, headers: { ...(payload !== undefined ? { "content-type": type } : {}), ...headers }, payload });
  return { status: res.statusCode, body: res.body, headers: res.headers, json: () => JSON.parse(res.body) as Record<string, unknown> };
}

async function newToken(name: string, spec: Record<string, unknown>): Promise<{ id: string; token: string }> {
  const res = await call("POST", "/auth/tokens", bearer("admin"), { name, ...spec });
  assert.equal(res.status, 201, res.body);
  const body = res.json();
  return { id: body.id as string, token: body.token as string };
}

/** A concrete URL for a route pattern: `:ns` → ns, `:plural` → a kind served there, other params → "probe". */
function concrete(route: RouteEntry, ns: string): string {
  if (route.url === "/*") return "/auth/no-such-thing";
  const plural = route.url.startsWith("/api/v1") ? "secrets" : "virtualmachines";
  const url = route.url
    .replace(":ns", ns)
    .replace(":plural", plural)
    .replace(/:[a-zA-Z]+/g, "probe");
  assert.ok(!url.includes(":") && !url.includes("*"), url);
  return url;
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "landfall-authz-"));
  emb = await startEmbedded({ dataDir, listen: "127.0.0.1:0", controllers: [], version: "test" });
  tok.admin = emb.adminToken;
  for (const [name, spec] of [
    ["editor", { role: "editor" }],
    ["viewer", { role: "viewer" }],
    ["tenant-viewer", { role: "viewer", namespaces: ["tenant-a"] }],
    ["tenant-editor", { role: "editor", namespaces: ["tenant-a"] }],
    ["tenant-admin", { role: "admin", namespaces: ["tenant-a"] }],
    ["revoked", { role: "admin" }],
    ["expired", { role: "admin", ttl: "1s" }],
  ] as const) {
    tok[name] = (await newToken(name, spec)).token;
  }
  const revoked = (await call("GET", "/auth/tokens", bearer("admin"))).json().items as Array<{ id: string; name: string }>;
  assert.equal((await call("DELETE", `/auth/tokens/${revoked.find((t) => t.name === "revoked")?.id}`, bearer("admin"))).status, 200);
  await new Promise((r) => setTimeout(r, 1100)); // the 1 s token expires
});

after(async () => {
  await emb?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("authorization on the matched route (every registered route)", () => {
  it("lets only the declared public routes answer without a token", () => {
    const open = registeredRoutes(emb.server)
      .filter((r) => r.access.level === "anyone")
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    assert.deepEqual(open, ["GET /healthz", "GET /metrics", "GET /version", "HEAD /healthz", "HEAD /metrics", "HEAD /version", "POST /auth/session"]);
  });

  it("answers 401 without a token and with an unknown, revoked or expired one; 403 to a role or namespace without the right", async () => {
    const routes = registeredRoutes(emb.server).filter((r) => r.access.level !== "anyone");
    assert.ok(routes.length >= 50, `walked ${routes.length} routes`);
    assert.ok(
      routes.some((r) => r.url.endsWith("/providers/:name/adopt")),
      "the composition root's JSON routes are in the walk",
    );
    let forbidden = 0;
    for (const route of routes) {
      const url = concrete(route, "default");
      const what = `${route.method} ${url}`;
      for (const headers of [{}, { authorization: "Bearer lf_unknown" }, bearer("revoked"), bearer("expired")]) {
        const res = await call(route.method, url, headers);
        assert.equal(res.status, 401, `${what} with ${JSON.stringify(headers).slice(0, 40)}: ${res.body}`);
        if (route.method !== "HEAD") assert.equal(res.json().reason, "Unauthorized");
      }
      // Who lacks the right for this route's level (none for routes any caller may use).
      const lacking: Array<[string, string]> =
        route.access.level === "admin"
          ? [
              ["editor", url],
              ["tenant-admin", url],
            ]
          : route.access.level === "writer"
            ? [
                ["viewer", url],
                ["tenant-editor", url],
                ["tenant-admin", url],
              ]
            : route.access.level === "reader" && route.access.namespaceParam
              ? [["tenant-viewer", url]]
              : [];
      for (const [who, u] of lacking) {
        const res = await call(route.method, u, bearer(who));
        assert.equal(res.status, 403, `${what} as ${who}: ${res.body}`);
        if (who.startsWith("tenant") && route.access.level !== "admin" && route.method !== "HEAD") assert.match(res.json().message as string, /namespace "default"/);
        forbidden++;
      }
    }
    assert.ok(forbidden >= 30, `checked ${forbidden} refusals`);
    for (const kind of ["VirtualMachine", "Secret", "Provider"]) assert.equal((await emb.store.list(kind)).items.length, 0, `no ${kind} was written`);
  });

  it("answers the encoded-path bypass of the review with 401 and writes nothing", async () => {
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "bypass" }, stringData: { p: "x" } };
    for (const url of ["/%61pis/landfall.dev/v1beta1/namespaces/default/secrets", "/apis/landfall.dev/v1beta1/namespaces/%64efault/secrets", "/api/v1/namespaces/default/%73ecrets"]) {
      assert.equal((await call("POST", url, {}, secret)).status, 401, url);
    }
    assert.equal((await emb.store.list("Secret")).items.length, 0);
  });

  it("finds no 2xx without a token for any encoding of any API path (seeded property test)", async () => {
    const seed = Number(process.env.AUTHZ_SEED ?? 20261130);
    let state = seed;
    const rand = (n: number) => {
      // mulberry32
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand(xs.length))];
    const hex = (c: string) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
    const mutations: Array<(p: string) => string> = [
      (p) => p.replace(/[a-z]/g, (c) => (rand(3) < 1 ? hex(c) : c)),
      (p) => p.replace(/[a-z]/g, (c) => (rand(3) < 1 ? hex(c).toUpperCase() : c)),
      (p) => p.replace(/[a-z]/g, (c) => (rand(4) < 1 ? `%25${c.charCodeAt(0).toString(16)}` : c)),
      (p) => p.replace(/[a-z]/g, (c) => (rand(4) < 1 ? `%${(0xc0 | (c.charCodeAt(0) >> 6)).toString(16)}%${(0x80 | (c.charCodeAt(0) & 0x3f)).toString(16)}` : c)),
      (p) => p.replace(/\//g, (s) => (rand(3) < 1 ? "%2F" : s)),
      (p) => p.replace(/\//g, (s) => (rand(3) < 1 ? "//" : s)),
      (p) => p.replace(/\//g, (s) => (rand(3) < 1 ? "/./" : s)),
      (p) => p.replace(/\//g, (s) => (rand(4) < 1 ? "/zz/../" : s)),
      (p) => `${p}/`,
      (p) => p.replace(/[a-z]/g, (c) => (rand(2) < 1 ? c.toUpperCase() : c)),
      (p) => p.replace(/\/([a-z0-9.-]+)/g, (m) => (rand(3) < 1 ? `${m};x=1` : m)),
      (p) => p.replace(/\//g, (s) => (rand(5) < 1 ? "\\" : s)),
    ];
    const bases = registeredRoutes(emb.server)
      .filter((r) => r.access.level !== "anyone" && r.url !== "/*")
      .map((r) => ({ method: r.method, url: concrete(r, "default") }));
    const failures: string[] = [];
    for (let i = 0; i < 600; i++) {
      const base = pick(bases);
      let url = base.url;
      for (let m = 1 + Math.floor(rand(3)); m > 0; m--) url = pick(mutations)(url);
      const method = rand(2) < 1 ? base.method : pick(["GET", "POST", "PUT", "PATCH", "DELETE"]);
      const query = pick(["", "?watch=true", "?access_token=" + tok.admin, "?limit=1"]);
      const res = await call(method, url + query, {}, { apiVersion: "v1", kind: "Secret", metadata: { name: "p" } });
      if (res.status < 300) failures.push(`${method} ${url}${query} → ${res.status}`);
    }
    assert.deepEqual(failures, [], `seed ${seed}`);
    assert.equal((await emb.store.list("Secret")).items.length, 0);
  });
});

describe("tenants, roles and Secrets", () => {
  it("gives a namespaced token only its namespaces' objects in cluster-wide lists and watches", async () => {
    for (const ns of ["tenant-a", "tenant-b"]) {
      const vm = { apiVersion: "landfall.dev/v1beta1", kind: "VirtualMachine", metadata: { name: `vm-${ns}` }, spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: "d" } } };
      assert.equal((await call("POST", `${G}/namespaces/${ns}/virtualmachines`, bearer("admin"), vm)).status, 201);
    }
    const names = (r: { json: () => Record<string, unknown> }) => (r.json().items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name).sort();
    assert.deepEqual(names(await call("GET", `${G}/virtualmachines`, bearer("tenant-viewer"))), ["vm-tenant-a"]);
    assert.deepEqual(names(await call("GET", `${G}/virtualmachines?limit=1`, bearer("tenant-viewer"))), ["vm-tenant-a"]);
    assert.deepEqual(names(await call("GET", `${G}/virtualmachines`, bearer("viewer"))), ["vm-tenant-a", "vm-tenant-b"]);
    assert.equal((await call("GET", `${G}/namespaces/tenant-b/virtualmachines/vm-tenant-b`, bearer("tenant-viewer"))).status, 403);

    const ac = new AbortController();
    const watch = await fetch(`${emb.url}${G}/virtualmachines?watch=true&resourceVersion=0`, { headers: bearer("tenant-viewer"), signal: ac.signal });
    assert.equal(watch.status, 200);
    let text = "";
    const decoder = new TextDecoder();
    for await (const chunk of watch.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      if (text.includes("vm-tenant-a")) break;
    }
    ac.abort();
    assert.ok(!text.includes("vm-tenant-b"), text);
  });

  it("lets editors write Secrets in their namespace but read them redacted; only admins read values", async () => {
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "vc" }, stringData: { password: "hunter2" } };
    const created = await call("POST", "/api/v1/namespaces/tenant-a/secrets", bearer("tenant-editor"), secret);
    assert.equal(created.status, 201);
    assert.ok(!created.body.includes("hunter2"));
    const asEditor = await call("GET", "/api/v1/namespaces/tenant-a/secrets/vc", bearer("tenant-editor"));
    assert.equal(asEditor.status, 200);
    assert.ok(!asEditor.body.includes(Buffer.from("hunter2").toString("base64")) && !asEditor.body.includes("hunter2"));
    const asAdmin = await call("GET", "/api/v1/namespaces/tenant-a/secrets/vc", bearer("admin"));
    assert.equal(Buffer.from((asAdmin.json().data as Record<string, string>).password, "base64").toString(), "hunter2");
    const provider = { apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name: "kvm" }, spec: { type: "libvirt", uri: "qemu:///system" } };
    assert.equal((await call("POST", `${G}/namespaces/tenant-a/providers`, bearer("tenant-editor"), provider)).status, 403);
  });

  it("says who the caller is", async () => {
    const me = (await call("GET", "/auth/whoami", bearer("tenant-editor"))).json();
    assert.deepEqual({ ...me, id: typeof me.id }, { id: "string", name: "tenant-editor", role: "editor", namespaces: ["tenant-a"] });
  });
});

describe("DELETE checks before it writes", () => {
  it("refuses a delete with deleteDisks and a stale resourceVersion (or uid) with 409 and leaves the object as it was", async () => {
    const vm = { apiVersion: "landfall.dev/v1beta1", kind: "VirtualMachine", metadata: { name: "keep" }, spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: "d" } } };
    const created = (await call("POST", `${G}/namespaces/default/virtualmachines`, bearer("admin"), vm)).json();
    const meta = created.metadata as { resourceVersion: string; uid: string; annotations?: Record<string, string> };
    const url = `${G}/namespaces/default/virtualmachines/keep`;
    const stale = String(Number(meta.resourceVersion) - 1);
    assert.equal((await call("DELETE", `${url}?deleteDisks=true&resourceVersion=${stale}`, bearer("admin"))).status, 409);
    assert.equal((await call("DELETE", `${url}?deleteDisks=true&propagationPolicy=Orphan`, bearer("admin"), { kind: "DeleteOptions", preconditions: { uid: "not-the-uid" } })).status, 409);
    assert.equal((await call("DELETE", `${url}?deleteDisks=true`, bearer("viewer"))).status, 403);
    const after = (await call("GET", url, bearer("admin"))).json().metadata as typeof meta;
    assert.equal(after.resourceVersion, meta.resourceVersion, "nothing was written");
    assert.equal(after.annotations?.[DELETE_DISKS_ANNOTATION], undefined, "the disks were not marked for deletion");
    // The precondition that holds: the hook writes, the delete goes ahead.
    const ok = await call("DELETE", `${url}?deleteDisks=true&resourceVersion=${meta.resourceVersion}`, bearer("admin"));
    assert.equal(ok.status, 200, ok.body);
    assert.equal((ok.json().metadata as typeof meta).annotations?.[DELETE_DISKS_ANNOTATION], "true");
  });
});

describe("dashboard sessions", () => {
  it("exchanges a token for an HttpOnly SameSite=Strict cookie that needs the CSRF header to write, and ends on logout", async () => {
    assert.equal((await call("POST", "/auth/session", {}, { token: tok.editor })).status, 403, "login needs the CSRF header");
    assert.equal((await call("POST", "/auth/session", { "x-landfall-csrf": "1" }, { token: "lf_wrong" })).status, 401);
    const login = await call("POST", "/auth/session", { "x-landfall-csrf": "1" }, { token: tok.editor });
    assert.equal(login.status, 201);
    const setCookie = String(login.headers["set-cookie"]);
    assert.match(setCookie, /^landfall_session=[A-Za-z0-9_-]{40,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    assert.ok(!login.body.includes(tok.editor));
    const cookie = { cookie: setCookie.split(";")[0] };
    assert.equal((await call("GET", "/auth/whoami", cookie)).json().name, "editor");
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "via-cookie" }, data: { a: "b" } };
    assert.equal((await call("POST", "/api/v1/namespaces/default/configmaps", cookie, cm)).status, 403, "no CSRF header: refused");
    assert.equal((await call("POST", "/api/v1/namespaces/default/configmaps", { ...cookie, "x-landfall-csrf": "1" }, cm)).status, 201);
    assert.equal((await call("GET", `${G}/virtualmachines?access_token=${tok.admin}`)).status, 401, "no tokens in URLs");
    assert.equal((await call("DELETE", "/auth/session", { ...cookie, "x-landfall-csrf": "1" })).status, 200);
    assert.equal((await call("GET", "/auth/whoami", cookie)).status, 401, "the session ended server-side");
  });

  it("ends a session when its token is revoked", async () => {
    const t = await newToken("short-lived", { role: "viewer" });
    const login = await call("POST", "/auth/session", { "x-landfall-csrf": "1" }, { token: t.token });
    const cookie = { cookie: String(login.headers["set-cookie"]).split(";")[0] };
    assert.equal((await call("GET", "/auth/whoami", cookie)).status, 200);
    assert.equal((await call("DELETE", `/auth/tokens/${t.id}`, bearer("admin"))).status, 200);
    assert.equal((await call("GET", "/auth/whoami", cookie)).status, 401);
  });
});

describe("audit log", () => {
  it("records every mutating call (who, what, code) in audit.log (0600) without bodies, tokens or Secret values", async () => {
    const entries = (await call("GET", "/auth/audit", bearer("admin"))).json().items as Array<Record<string, unknown>>;
    const secretCreate = entries.find((e) => e.verb === "POST" && e.resource === "secrets" && e.namespace === "tenant-a" && e.code === 201);
    assert.deepEqual(Object.keys(secretCreate ?? {}).sort(), ["code", "name", "namespace", "resource", "role", "time", "tokenId", "tokenName", "verb"]);
    assert.equal(secretCreate?.tokenName, "tenant-editor");
    assert.equal(secretCreate?.role, "editor");
    assert.ok(entries.some((e) => e.verb === "DELETE" && e.resource === "tokens" && e.code === 200), "token revocations are recorded");
    assert.ok(entries.some((e) => e.verb === "POST" && e.resource === "tokens" && e.code === 201), "token creations are recorded");
    assert.ok(entries.some((e) => e.verb === "DELETE" && e.name === "keep" && e.code === 409), "refused deletes are recorded");
    assert.ok(entries.some((e) => e.code === 401 && e.tokenId === null), "unauthenticated attempts are recorded");
    assert.ok(entries.some((e) => e.verb === "POST" && e.resource === "virtualmachines/clone" && e.name === "probe" && e.code === 403), "JSON routes (adopt, clone, power) are recorded");
    assert.ok(entries.some((e) => e.verb === "POST" && e.resource === "sessions" && e.tokenName === "editor" && e.code === 201), "logins are recorded");
    assert.ok(!entries.some((e) => e.verb === "GET"), "reads are not");
    const path = join(dataDir, "audit.log");
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const text = await readFile(path, "utf8");
    for (const secret of [...Object.values(tok), "hunter2", Buffer.from("hunter2").toString("base64")]) assert.ok(!text.includes(secret), "no token or Secret value in the log");
    assert.equal((await call("GET", "/auth/audit?since=1h", bearer("editor"))).status, 403);
    assert.equal((await call("GET", "/auth/audit?since=forever", bearer("admin"))).status, 400);
  });
});
