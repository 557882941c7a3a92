// Authentication and authorization through a real `bin/landfall serve` and the CLI: the encoded-path bypass,
// tokens with roles, namespaces, expiry and revocation, old tokens.json files, and the audit log.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { landfall } from "../harness/landfall.ts";

let srv: ServeProcess;
let legacyDir: string;
const LEGACY_TOKEN = "lf_written-by-an-older-landfall";

/** Sends method and path byte for byte (fetch would normalise the path). */
function raw(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(srv.url);
    const req = httpRequest({ host: u.hostname, port: u.port, path, method, headers: { ...(body ? { "content-type": "application/json" } : {}), ...headers } }, (res) => {
      let text = "";
      res.on("data", (d) => {
        text += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const configMap = (name: string, ns: string) => JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns }, data: { k: "v" } });

before(async () => {
  // A data dir as an older landfall left it: a token record without id or namespaces.
  legacyDir = await mkdtemp(join(tmpdir(), "landfall-auth-e2e-"));
  const sha256 = createHash("sha256").update(LEGACY_TOKEN).digest("hex");
  await writeFile(join(legacyDir, "tokens.json"), JSON.stringify({ tokens: [{ name: "old-viewer", role: "viewer", sha256, createdAt: "2026-01-01T00:00:00.000Z" }] }), { mode: 0o600 });
  srv = await startServeProcess({ dataDir: legacyDir, args: ["--controllers", "none"] });
});
after(async () => {
  await srv?.stop();
  await rm(legacyDir, { recursive: true, force: true });
});

describe("authentication and authorization (real serve process and CLI)", () => {
  it("answers the review's percent-encoded POST with 401 and stores nothing", async () => {
    const secret = JSON.stringify({ apiVersion: "v1", kind: "Secret", metadata: { name: "sneaky" }, stringData: { p: "x" } });
    const res = await raw("POST", "/%61pis/landfall.dev/v1beta1/namespaces/default/secrets", secret);
    assert.equal(res.status, 401, res.text);
    assert.equal((await raw("GET", "/%61pis/landfall.dev/v1beta1/secrets")).status, 401);
    assert.equal((await raw("GET", "/apis/landfall.dev/v1beta1")).status, 401, "discovery needs a token");
    assert.equal((await raw("GET", "/auth/nothing-here")).status, 401, "unknown API paths: 401 before 404");
    const list = await landfall(srv, ["get", "secrets", "-A", "-o", "json"]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout).items, []);
  });

  it("keeps a tokens.json record from before IDs working", async () => {
    const me = await landfall(srv, ["whoami"], { token: LEGACY_TOKEN });
    assert.equal(me.code, 0, me.stderr);
    assert.match(me.stdout, /^old-viewer \(ID [0-9a-f]{16}\): role viewer, namespaces all$/m);
  });

  it("creates a namespaced editor token, confines it to its namespace, lists it without the token, and revokes it", async () => {
    const created = await landfall(srv, ["token", "create", "--role", "editor", "--namespace", "tenant-a", "--ttl", "720h", "--name", "ci"]);
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    assert.match(token, /^lf_[A-Za-z0-9_-]{32}$/);

    const me = await landfall(srv, ["whoami"], { token });
    assert.match(me.stdout, /^ci \(ID ([0-9a-f]+)\): role editor, namespaces tenant-a$/m);
    const id = /ID ([0-9a-f]+)/.exec(me.stdout)?.[1] as string;

    assert.equal((await landfall(srv, ["apply", "-f", "-"], { token, stdin: configMap("mine", "tenant-a") })).code, 0);
    const elsewhere = await landfall(srv, ["apply", "-f", "-"], { token, stdin: configMap("theirs", "default") });
    assert.equal(elsewhere.code, 1);
    assert.match(elsewhere.stderr, /namespace "default"/);
    const del = await landfall(srv, ["delete", "cm", "anything", "-n", "default"], { token });
    assert.equal(del.code, 1);
    assert.match(del.stderr, /may not write in namespace "default"/);
    const tokenList = await landfall(srv, ["token", "list"], { token });
    assert.equal(tokenList.code, 1, "only admins list tokens");

    const listed = await landfall(srv, ["token", "list", "-o", "json"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(!listed.stdout.includes(token) && !listed.stdout.includes(srv.adminToken), "never the tokens");
    const ci = (JSON.parse(listed.stdout).items as Array<Record<string, unknown>>).find((t) => t.id === id);
    assert.deepEqual({ name: ci?.name, role: ci?.role, namespaces: ci?.namespaces }, { name: "ci", role: "editor", namespaces: ["tenant-a"] });
    const ttlHours = (Date.parse(ci?.expiresAt as string) - Date.parse(ci?.createdAt as string)) / 3_600_000;
    assert.equal(ttlHours, 720);
    assert.match((await landfall(srv, ["token", "list"])).stdout, /^ID\s+NAME\s+ROLE\s+NAMESPACES\s+EXPIRES\s+CREATED\s+STATUS$/m);

    const revoked = await landfall(srv, ["token", "revoke", id]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const after = await landfall(srv, ["get", "cm", "-n", "tenant-a"], { token });
    assert.equal(after.code, 1);
    assert.match(after.stderr, /server rejected the token/);
    assert.equal((await landfall(srv, ["token", "revoke", "no-such-id"])).code, 1);
  });

  it("rejects bad token requests with messages naming the value", async () => {
    const bad = await landfall(srv, ["token", "create", "--role", "root"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--role must be one of viewer, editor, admin/);
    const ttl = await landfall(srv, ["token", "create", "--role", "viewer", "--ttl", "soon"]);
    assert.equal(ttl.code, 1);
    assert.match(ttl.stderr, /ttl "soon" is not a duration/);
  });

  it("prints the audit log to admins only, without tokens or bodies", async () => {
    const audit = await landfall(srv, ["audit", "--since", "1h", "-o", "json"]);
    assert.equal(audit.code, 0, audit.stderr);
    const items = JSON.parse(audit.stdout).items as Array<Record<string, unknown>>;
    assert.ok(items.some((e) => e.verb === "POST" && e.resource === "configmaps" && e.namespace === "tenant-a" && e.name === null && e.tokenName === "ci" && e.code === 201));
    assert.ok(items.some((e) => e.verb === "DELETE" && e.resource === "configmaps" && e.namespace === "default" && e.name === "anything" && e.code === 403));
    assert.ok(items.some((e) => e.verb === "DELETE" && e.resource === "tokens" && e.code === 200));
    assert.ok(items.some((e) => e.verb === "POST" && e.resource === "secrets" && e.code === 401 && e.tokenId === null), "the encoded-path attempt");
    assert.ok(!audit.stdout.includes("lf_"), "no tokens");
    assert.ok(!audit.stdout.includes('"k"'), "no request bodies");
    const table = await landfall(srv, ["audit"]);
    assert.match(table.stdout, /^TIME\s+TOKEN\s+ROLE\s+VERB\s+RESOURCE\s+OBJECT\s+CODE$/m);
    const asViewer = await landfall(srv, ["audit"], { token: LEGACY_TOKEN });
    assert.equal(asViewer.code, 1);
    assert.match(asViewer.stderr, /needs an admin token/);
  });
});
