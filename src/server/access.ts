// Who may read and write where, from a token's role and namespaces (undefined namespaces: every namespace). Pure.
import type { Principal } from "./auth.ts";

export const isAdmin = (p: Principal): boolean => p.role === "admin";

export const mayReadNamespace = (p: Principal, namespace: string): boolean => p.namespaces === undefined || p.namespaces.includes(namespace);

export const mayWriteNamespace = (p: Principal, namespace: string): boolean => p.role !== "viewer" && mayReadNamespace(p, namespace);

/** How a token is described in a refusal: `token "ci" (editor, namespaces tenant-a)`. */
export function describePrincipal(p: Principal): string {
  return `token "${p.name}" (${p.role}, ${p.namespaces === undefined ? "every namespace" : `namespaces ${p.namespaces.join(", ") || "none"}`})`;
}
