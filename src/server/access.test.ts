// Who may do what, as plain decisions over principals — no server.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decideAccess, isAdmin, mayReadNamespace, mayWriteNamespace, type RouteAccess } from "./access.ts";
import type { Principal } from "./tokens.ts";

const admin: Principal = { id: "1", name: "root", role: "admin" };
const editor: Principal = { id: "2", name: "ed", role: "editor" };
const tenantEditor: Principal = { id: "3", name: "ta", role: "editor", namespaces: ["tenant-a"] };
const viewer: Principal = { id: "4", name: "ro", role: "viewer" };
const tenantViewer: Principal = { id: "5", name: "tv", role: "viewer", namespaces: ["tenant-a"] };
const tenantAdmin: Principal = { id: "6", name: "tad", role: "admin", namespaces: ["tenant-a"] };

describe("namespace predicates", () => {
  it("a principal without namespaces covers every namespace; with them, only those", () => {
    assert.ok(mayReadNamespace(viewer, "anything"));
    assert.ok(mayReadNamespace(tenantViewer, "tenant-a"));
    assert.ok(!mayReadNamespace(tenantViewer, "tenant-b"));
  });
  it("viewers never write; editors and admins write in their namespaces", () => {
    assert.ok(!mayWriteNamespace(viewer, "default"));
    assert.ok(mayWriteNamespace(editor, "default"));
    assert.ok(mayWriteNamespace(tenantEditor, "tenant-a"));
    assert.ok(!mayWriteNamespace(tenantEditor, "tenant-b"));
    assert.ok(!mayWriteNamespace(tenantAdmin, "tenant-b"));
    assert.ok(isAdmin(admin) && !isAdmin(editor));
  });
});

describe("route decisions", () => {
  const route = (level: RouteAccess["level"], namespaceParam?: string): RouteAccess => ({ level, resource: "virtualmachines", ...(namespaceParam ? { namespaceParam } : {}) });
  const facts = (namespace?: string, resource = "virtualmachines", underApiPrefix = true) => ({ underApiPrefix, resource, ...(namespace ? { namespace } : {}) });
  const code = (d: ReturnType<typeof decideAccess>) => (d.allowed ? 200 : d.code);

  it("answers 401 without a caller on every level but the open ones", () => {
    for (const level of ["caller", "admin", "reader", "writer"] as const) assert.equal(code(decideAccess(route(level), undefined, facts("default"))), 401, level);
    assert.equal(code(decideAccess(route("anyone"), undefined, facts())), 200);
    assert.equal(code(decideAccess(route("anyone-outside-api"), undefined, facts(undefined, "", false))), 200);
    assert.equal(code(decideAccess(route("anyone-outside-api"), undefined, facts(undefined, "", true))), 401, "an API path needs a caller even when unmatched");
  });

  it("lets readers read only their namespaces, naming the namespace when refusing", () => {
    assert.equal(code(decideAccess(route("reader", "ns"), tenantViewer, facts("tenant-a"))), 200);
    const refused = decideAccess(route("reader", "ns"), tenantViewer, facts("tenant-b"));
    assert.equal(code(refused), 403);
    assert.match(refused.allowed ? "" : refused.message, /namespace "tenant-b"/);
    assert.equal(code(decideAccess(route("reader"), tenantViewer, facts())), 200, "cluster-wide reads are filtered to its namespaces by the list");
  });

  it("lets editors write in their namespaces, never viewers, and only admins write Providers or across namespaces", () => {
    assert.equal(code(decideAccess(route("writer", "ns"), viewer, facts("default"))), 403);
    assert.equal(code(decideAccess(route("writer", "ns"), editor, facts("default"))), 200);
    assert.equal(code(decideAccess(route("writer", "ns"), tenantEditor, facts("tenant-a"))), 200);
    assert.equal(code(decideAccess(route("writer", "ns"), tenantEditor, facts("tenant-b"))), 403);
    assert.equal(code(decideAccess(route("writer", "ns"), tenantAdmin, facts("tenant-b"))), 403);
    assert.equal(code(decideAccess(route("writer", "ns"), editor, facts("default", "providers"))), 403);
    assert.equal(code(decideAccess(route("writer", "ns"), admin, facts("default", "providers"))), 200);
    assert.equal(code(decideAccess(route("writer", "ns"), editor, facts("default", "secrets"))), 200, "editors write Secrets");
    assert.equal(code(decideAccess(route("writer"), editor, facts())), 403);
  });

  it("keeps admin routes for admins of every namespace: a namespaced admin cannot mint itself a wider token", () => {
    assert.ok(!isAdmin(tenantAdmin));
    assert.equal(code(decideAccess(route("admin"), tenantAdmin, facts(undefined, "tokens"))), 403);
    assert.equal(code(decideAccess(route("writer", "ns"), tenantAdmin, facts("tenant-a"))), 200);
    assert.equal(code(decideAccess(route("writer", "ns"), tenantAdmin, facts("tenant-a", "providers"))), 403);
  });

  it("keeps admin routes for admins", () => {
    assert.equal(code(decideAccess(route("admin"), editor, facts(undefined, "tokens"))), 403);
    assert.equal(code(decideAccess(route("admin"), admin, facts(undefined, "tokens"))), 200);
    assert.equal(code(decideAccess(route("caller"), viewer, facts())), 200);
  });
});
