// Who is logged in (GET /auth/whoami) and what the dashboard offers them: the same rules the server enforces,
// used only to hide actions a caller may not take (the server refuses them anyway).
export interface Identity {
  id: string;
  name: string;
  role: "viewer" | "editor" | "admin";
  /** Absent: every namespace. */
  namespaces?: string[];
}

export const mayWrite = (who: Identity, namespace: string): boolean => who.role !== "viewer" && (who.namespaces === undefined || who.namespaces.includes(namespace));

export const describeIdentity = (who: Identity): string => `${who.name} (${who.role}${who.namespaces ? `: ${who.namespaces.join(", ")}` : ""})`;
