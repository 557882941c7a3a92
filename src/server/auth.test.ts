import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isApiError } from "../api/errors.ts";
import { bearerToken, memoryAuth, openFileAuth, parseRole } from "./auth.ts";
import { parseNewTokenSpec } from "./tokens.ts";
import { bodyAsObject, checkIdentityKept, patchMentionsResourceVersion } from "./object-rules.ts";
import { kindForPath } from "./paths.ts";
import { REDACTED, redactFor } from "./redact.ts";

describe("file-backed tokens", () => {
  it("creates the admin token once (0600), reuses it, and stores only digests", async () => {
    const dir = await mkdtemp(join(tmpdir(), "landfall-auth-"));
    try {
      const first = await openFileAuth(dir);
      assert.equal((await stat(first.adminTokenPath)).mode & 0o777, 0o600);
      const viewer = await first.createToken({ role: "viewer", name: "ro" });
      const second = await openFileAuth(dir);
      assert.equal(second.adminToken, first.adminToken);
      assert.equal(second.authenticate(first.adminToken)?.role, "admin");
      assert.deepEqual(second.authenticate(viewer.token), { id: viewer.info.id, name: "ro", role: "viewer" });
      assert.equal(second.authenticate("lf_other"), undefined);
      const stored = await readFile(join(dir, "tokens.json"), "utf8");
      assert.ok(!stored.includes(viewer.token) && !stored.includes(first.adminToken));
      await writeFile(join(dir, "tokens.json"), "{oops");
      await assert.rejects(openFileAuth(dir), /tokens.json is not valid JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps tokens.json valid and every token usable when tokens are created concurrently", async () => {
    const dir = await mkdtemp(join(tmpdir(), "landfall-auth-"));
    try {
      const auth = await openFileAuth(dir);
      const tokens = await Promise.all(Array.from({ length: 6 }, (_, i) => auth.createToken({ role: "viewer", name: `ro${i}` })));
      const stored = JSON.parse(await readFile(join(dir, "tokens.json"), "utf8")) as { tokens: unknown[] };
      assert.equal(stored.tokens.length, 7); // the admin token and the six
      const reopened = await openFileAuth(dir);
      for (const [i, t] of tokens.entries()) assert.equal(reopened.authenticate(t.token)?.name, `ro${i}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps tokens.json files written before tokens had IDs working, with stable IDs derived from the digest", async () => {
    const dir = await mkdtemp(join(tmpdir(), "landfall-auth-"));
    try {
      const legacy = "lf_legacy-viewer";
      const sha256 = createHash("sha256").update(legacy).digest("hex");
      await writeFile(join(dir, "tokens.json"), JSON.stringify({ tokens: [{ name: "old", role: "viewer", sha256, createdAt: "2026-01-01T00:00:00.000Z" }, { name: "junk", role: "root", sha256 }] }));
      const auth = await openFileAuth(dir);
      assert.deepEqual(auth.authenticate(legacy), { id: sha256.slice(0, 16), name: "old", role: "viewer" });
      assert.deepEqual(
        auth.listTokens().map((t) => t.name),
        ["old", "admin"],
        "the record with an unknown role is dropped",
      );
      await auth.revokeToken(sha256.slice(0, 16));
      assert.equal((await openFileAuth(dir)).authenticate(legacy), undefined, "revocation of a legacy token survives a restart");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses revoked and expired tokens, and lists tokens without their digests", async () => {
    let now = Date.parse("2026-11-30T00:00:00Z");
    const auth = memoryAuth([], { now: () => now });
    const short = await auth.createToken({ role: "editor", name: "ci", namespaces: ["tenant-a"], ttlSeconds: 3600 });
    const forever = await auth.createToken({ role: "viewer" });
    assert.deepEqual(auth.authenticate(short.token), { id: short.info.id, name: "ci", role: "editor", namespaces: ["tenant-a"] });
    assert.equal(short.info.expiresAt, "2026-11-30T01:00:00.000Z");
    now += 3600_000;
    assert.equal(auth.authenticate(short.token), undefined, "expired at expiresAt");
    assert.equal(auth.principalById(short.info.id), undefined);
    assert.equal(auth.authenticate(forever.token)?.role, "viewer");
    await auth.revokeToken(forever.info.id);
    assert.equal(auth.authenticate(forever.token), undefined);
    assert.equal(auth.principalById(forever.info.id), undefined);
    const listed = auth.listTokens();
    assert.ok(listed.every((t) => !("sha256" in t)));
    assert.ok(listed.find((t) => t.id === forever.info.id)?.revokedAt);
    await assert.rejects(auth.revokeToken("nope"), (e) => isApiError(e, "NotFound") && /token list/.test(e.message));
  });

  it("validates new token requests, naming the field and the value", () => {
    assert.deepEqual(parseNewTokenSpec({ role: "editor", namespaces: ["b", "a", "a"], ttl: "1h30m", name: "x" }), { role: "editor", name: "x", namespaces: ["a", "b"], ttlSeconds: 5400 });
    assert.throws(() => parseNewTokenSpec({ role: "root" }), (e) => isApiError(e, "BadRequest") && /use one of viewer, editor, admin/.test(e.message));
    assert.throws(() => parseNewTokenSpec({ role: "viewer", namespaces: ["Tenant_A"] }), /namespace "Tenant_A" is not a valid namespace name/);
    assert.throws(() => parseNewTokenSpec({ role: "viewer", namespaces: [] }), /namespaces \[\] must be a non-empty list/);
    assert.throws(() => parseNewTokenSpec({ role: "viewer", ttl: "forever" }), /ttl "forever" is not a duration/);
    assert.throws(() => parseNewTokenSpec({ role: "viewer", name: "a b" }), /token name "a b"/);
  });

  it("parses bearer headers and roles", () => {
    assert.equal(bearerToken("Bearer abc"), "abc");
    assert.equal(bearerToken("Basic abc"), undefined);
    assert.throws(() => parseRole("root"), (e) => isApiError(e, "BadRequest"));
    const auth = memoryAuth([{ token: "t1", role: "viewer" }]);
    assert.equal(auth.authenticate("t1")?.role, "viewer");
  });
});

describe("redaction", () => {
  const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { p: "cHc=" } };
  it("shows Secret values only to an admin reading one object", () => {
    assert.equal((redactFor({ id: "a", name: "a", role: "admin" }, secret, "single").data as Record<string, string>).p, "cHc=");
    assert.equal((redactFor({ id: "a", name: "a", role: "admin" }, secret, "collection").data as Record<string, string>).p, REDACTED);
    assert.equal((redactFor({ id: "v", name: "v", role: "viewer" }, secret, "single").data as Record<string, string>).p, REDACTED);
    assert.equal((redactFor({ id: "e", name: "e", role: "editor" }, secret, "single").data as Record<string, string>).p, REDACTED, "editors write Secrets but never read values");
    assert.equal(secret.data.p, "cHc=");
  });
});

describe("request rules", () => {
  const info = kindForPath("virtualmachines", false);
  it("checks kind, name and namespace against the URL", () => {
    const body = { kind: "VirtualMachine", metadata: { name: "a" } };
    assert.equal(bodyAsObject(body, { info, namespace: "prod" }).metadata.namespace, "prod");
    assert.throws(() => bodyAsObject({ ...body, kind: "Provider" }, { info, namespace: "d" }), /does not match the URL/);
    assert.throws(() => bodyAsObject(body, { info, namespace: "d", name: "b" }), /metadata.name "a" does not match/);
    assert.throws(() => bodyAsObject([], { info, namespace: "d" }), (e) => isApiError(e, "BadRequest"));
    assert.throws(() => kindForPath("virtualmachines", true), (e) => isApiError(e, "NotFound"));
    const stored = { apiVersion: "v", kind: "VirtualMachine", metadata: { name: "a", namespace: "d" } };
    assert.throws(() => checkIdentityKept({ ...stored, metadata: { name: "b", namespace: "d" } }, stored), /cannot change metadata.name/);
    assert.ok(patchMentionsResourceVersion({ metadata: { resourceVersion: "3" } }, false));
    assert.ok(patchMentionsResourceVersion([{ op: "test", path: "/metadata/resourceVersion", value: "3" }], true));
    assert.ok(!patchMentionsResourceVersion({ spec: {} }, false));
  });
});
