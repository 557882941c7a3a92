// An audit log entry: a line of <data-dir>/audit.log and an item of GET /auth/audit (`landfall audit`). Who (token
// ID, name, role), what (verb, resource, namespace/name) and the result code; nothing else.
export interface AuditEntry {
  time: string;
  tokenId: string | null;
  tokenName: string | null;
  role: string | null;
  verb: string;
  resource: string;
  namespace: string | null;
  name: string | null;
  code: number;
}
