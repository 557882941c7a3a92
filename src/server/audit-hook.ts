// Records every mutating call that reached a route, after its response: who, what, and the code.
import type { FastifyInstance } from "fastify";
import type { AuditLog } from "./audit-log.ts";
import { routeFacts } from "./authorize.ts";

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function installAudit(app: FastifyInstance, log: AuditLog): void {
  app.addHook("onResponse", async (req, reply) => {
    const access = req.routeOptions.config?.access;
    if (!access || READ_METHODS.has(req.method)) return;
    const facts = routeFacts(req, access);
    const p = req.principal;
    await log
      .record({
        time: new Date().toISOString(),
        tokenId: p?.id ?? null,
        tokenName: p?.name ?? null,
        role: p?.role ?? null,
        verb: req.method,
        resource: facts.resource,
        namespace: facts.namespace ?? null,
        name: facts.name ?? null,
        code: reply.statusCode,
      })
      .catch((err: unknown) => app.log.error({ err }, "audit log write failed"));
  });
}
