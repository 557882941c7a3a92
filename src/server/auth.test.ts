import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isApiError } from "../api/errors.ts";
import { bearerToken, memoryAuth, openFileAuth, parseRole } from "./auth.ts";
import { bodyAsObject, checkIdentityKept, patchMentionsResourceVersion } from "./object-rules.ts";
import { kindForPath } from "./paths.ts";
import { REDACTED, redactFor } from "./redact.ts";

describe("file-backed tokens", () => {
  it("creates the admin token once (0600), reuses it, and stores only digests", async () => {
    const dir = await mkdtemp(join(tmpdir(), "landfall-auth-"));
    try {
      const first = await openFileAuth(dir);
      assert.equal((await stat(first.adminTokenPath)).mode & 0o777, 0o600);
      const viewer = await first.createToken("viewer", "ro");
      const editor = await first.createToken("editor", "ci", ["tenant-a"]);
      const second = await openFileAuth(dir);
      assert.deepEqual(second.authenticate(editor)?.namespaces, ["tenant-a"], "a token's namespaces survive a restart");
      assert.equal(second.adminToken, first.adminToken);
      assert.deepEqual(second.authenticate(first.adminToken), { id: first.authenticate(first.adminToken)?.id, name: "admin", role: "admin" });
      assert.deepEqual(second.authenticate(viewer), { id: first.authenticate(viewer)?.id, name: "ro", role: "viewer" });
      assert.equal(second.authenticate("lf_other"), undefined);
      const stored = await readFile(join(dir, "tokens.json"), "utf8");
      assert.ok(!stored.includes(viewer) && !stored.includes(first.adminToken));
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
      const tokens = await Promise.all(Array.from({ length: 6 }, (_, i) => auth.createToken("viewer", `ro${i}`)));
      const stored = JSON.parse(await readFile(join(dir, "tokens.json"), "utf8")) as { tokens: unknown[] };
      assert.equal(stored.tokens.length, 7); // the admin token and the six
      const reopened = await openFileAuth(dir);
      for (const [i, t] of tokens.entries()) assert.deepEqual({ ...reopened.authenticate(t), id: undefined }, { id: undefined, name: `ro${i}`, role: "viewer" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("parses bearer headers and roles", async () => {
    assert.equal(bearerToken("Bearer abc"), "abc");
    assert.equal(bearerToken("Basic abc"), undefined);
    assert.throws(() => parseRole("root"), (e) => isApiError(e, "BadRequest") && /use one of viewer, editor, admin/.test(e.message));
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
