// The resource API: CRUD, /status, lists and watches for every kind, under /apis/landfall.dev/v1beta1 and
// (for Secret and ConfigMap) /api/v1. Validation, admission and redaction happen here; storage is the store's.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ApiError, isApiError } from "../api/errors.ts";
import type { KindInfo } from "../api/kinds.ts";
import { API_VERSION, type KubeObject } from "../api/meta.ts";
import { validateObject } from "../api/validate.ts";
import { mediaType, PATCH_TYPES } from "./bodies.ts";
import { applyJsonPatch, applyMergePatch } from "./patch.ts";
import type { RouteAccess } from "./access.ts";
import { checkDeletePreconditions, deletePreconditions } from "./delete-preconditions.ts";
import { bodyAsObject, checkIdentityKept, patchMentionsResourceVersion, prepareCreate, type Target, withStoredStatus } from "./object-rules.ts";
import { CORE_PREFIX, checkPathSegment, GROUP_PREFIX, kindForPath } from "./paths.ts";
import { redactFor, withoutSecretCopies } from "./redact.ts";
import type { Principal } from "./tokens.ts";
import type { DeleteRequest, PropagationPolicy, ServerOptions } from "./types.ts";
import { type WatchRegistry, serveWatch } from "./watch.ts";

type Params = { ns?: string; plural: string; name?: string };
type Query = Record<string, string | undefined>;

/** Server-side retries of a PATCH (or a delete hook) that did not pin a resourceVersion, when a writer got in between. */
const PATCH_ATTEMPTS = 5;

export function registerResourceRoutes(app: FastifyInstance, opts: ServerOptions, watches: WatchRegistry): void {
  const { store } = opts;
  const admission = opts.admission ?? [];

  const admit = async (req: FastifyRequest, op: "CREATE" | "UPDATE", obj: KubeObject, old: KubeObject | undefined) => {
    const caller = callerOf(req);
    for (const check of admission) await check(op, obj, old, caller);
  };
  // Declared per route and enforced by authorize.ts before any handler runs.
  const reads = { config: { access: { level: "reader", namespaceParam: "ns", resource: ":plural" } satisfies RouteAccess } };
  const readsAll = { config: { access: { level: "reader", resource: ":plural" } satisfies RouteAccess } };
  const writes = { config: { access: { level: "writer", namespaceParam: "ns", resource: ":plural" } satisfies RouteAccess } };

  for (const [base, core] of [
    [GROUP_PREFIX, false],
    [CORE_PREFIX, true],
  ] as const) {
    const target = (req: FastifyRequest, withName: boolean): Target => {
      const p = req.params as Params;
      const info = kindForPath(p.plural, core);
      const namespace = checkPathSegment("namespace", p.ns ?? "");
      return withName ? { info, namespace, name: checkPathSegment("name", p.name ?? "") } : { info, namespace };
    };
    const statusTarget = (req: FastifyRequest): Target => {
      const t = target(req, true);
      if (!t.info.hasStatus) throw new ApiError("NotFound", `${t.info.kind} has no status subresource`);
      return t;
    };
    const listKind = core ? "v1" : API_VERSION;

    const list = async (req: FastifyRequest, reply: FastifyReply, info: KindInfo, namespace: string | undefined) => {
      const q = req.query as Query;
      const scope = callerOf(req).namespaces;
      if (q.watch === "true" || q.watch === "1") return serveWatch(req, reply, store, info, namespace, watches, namespace === undefined ? scope : undefined);
      const limit = parseLimit(q.limit);
      if (namespace === undefined && scope !== undefined) return listScoped(req, info, scope);
      const result = await store.list(info.kind, { namespace, labelSelector: q.labelSelector || undefined, limit, continue: q.continue || undefined });
      return {
        apiVersion: listKind,
        kind: `${info.kind}List`,
        metadata: { resourceVersion: result.resourceVersion, ...(result.continue ? { continue: result.continue } : {}) },
        items: result.items.map((o) => redactFor(req.principal, o, "collection")),
      };
    };

    // A token limited to namespaces sees, across namespaces, the objects of its namespaces (one page).
    const listScoped = async (req: FastifyRequest, info: KindInfo, namespaces: string[]) => {
      const q = req.query as Query;
      const items: KubeObject[] = [];
      let resourceVersion = "0";
      for (const ns of namespaces) {
        let cont: string | undefined;
        do {
          const page = await store.list(info.kind, { namespace: ns, labelSelector: q.labelSelector || undefined, continue: cont });
          items.push(...page.items);
          if (Number(page.resourceVersion) > Number(resourceVersion)) resourceVersion = page.resourceVersion;
          cont = page.continue;
        } while (cont);
      }
      return { apiVersion: listKind, kind: `${info.kind}List`, metadata: { resourceVersion }, items: items.map((o) => redactFor(req.principal, o, "collection")) };
    };

    app.get(`${base}/:plural`, readsAll, (req, reply) => list(req, reply, kindForPath((req.params as Params).plural, core), undefined));
    app.get(`${base}/namespaces/:ns/:plural`, reads, (req, reply) => {
      const t = target(req, false);
      return list(req, reply, t.info, t.namespace);
    });

    app.post(`${base}/namespaces/:ns/:plural`, writes, async (req, reply) => {
      const t = target(req, false);
      const obj = withoutSecretCopies(prepareCreate(bodyAsObject(req.body, t)));
      validateObject(obj);
      await admit(req, "CREATE", obj, undefined);
      const created = await store.create(obj);
      reply.code(201);
      return redactFor(req.principal, created, "single");
    });

    const getOne = async (req: FastifyRequest) => {
      const t = target(req, true);
      return redactFor(req.principal, await store.get(t.info.kind, t.namespace, t.name!), "single");
    };
    app.get(`${base}/namespaces/:ns/:plural/:name`, reads, getOne);
    app.get(`${base}/namespaces/:ns/:plural/:name/status`, reads, (req) => {
      statusTarget(req);
      return getOne(req);
    });

    app.put(`${base}/namespaces/:ns/:plural/:name`, writes, async (req) => {
      const t = target(req, true);
      const obj = withoutSecretCopies(bodyAsObject(req.body, t));
      const stored = await store.get(t.info.kind, t.namespace, t.name!);
      withStoredStatus(obj, stored, t.info);
      validateObject(obj);
      await admit(req, "UPDATE", obj, stored);
      return redactFor(req.principal, await store.update(obj), "single");
    });

    app.put(`${base}/namespaces/:ns/:plural/:name/status`, writes, async (req) => {
      const t = statusTarget(req);
      const body = bodyAsObject(req.body, t);
      const stored = await store.get(t.info.kind, t.namespace, t.name!);
      const next: KubeObject = { ...stored, status: body.status, metadata: { ...stored.metadata, resourceVersion: body.metadata.resourceVersion } };
      if (next.metadata.resourceVersion === undefined) delete next.metadata.resourceVersion;
      validateObject(next);
      return redactFor(req.principal, await store.updateStatus(next), "single");
    });

    const patch = (statusOnly: boolean) => async (req: FastifyRequest) => {
      const t = statusOnly ? statusTarget(req) : target(req, true);
      const type = mediaType(req.headers["content-type"]);
      if (!PATCH_TYPES.includes(type)) {
        throw new ApiError("UnsupportedMediaType", `PATCH needs Content-Type ${PATCH_TYPES.join(" or ")} (got "${type || "none"}")`);
      }
      const json = type === "application/json-patch+json";
      const pinned = patchMentionsResourceVersion(req.body, json);
      for (let attempt = 1; ; attempt++) {
        const stored = await store.get(t.info.kind, t.namespace, t.name!);
        const patched = withoutSecretCopies(checkIdentityKept(json ? applyJsonPatch(stored, req.body) : applyMergePatch(stored, req.body), stored));
        if (!pinned) patched.metadata.resourceVersion = stored.metadata.resourceVersion;
        try {
          if (statusOnly) {
            const next: KubeObject = { ...stored, status: patched.status, metadata: { ...stored.metadata, resourceVersion: patched.metadata.resourceVersion } };
            validateObject(next);
            return redactFor(req.principal, await store.updateStatus(next), "single");
          }
          withStoredStatus(patched, stored, t.info);
          validateObject(patched);
          await admit(req, "UPDATE", patched, stored);
          return redactFor(req.principal, await store.update(patched), "single");
        } catch (err) {
          if (pinned || !isApiError(err, "Conflict") || attempt >= PATCH_ATTEMPTS) throw err;
        }
      }
    };
    app.patch(`${base}/namespaces/:ns/:plural/:name`, writes, patch(false));
    app.patch(`${base}/namespaces/:ns/:plural/:name/status`, writes, patch(true));

    app.delete(`${base}/namespaces/:ns/:plural/:name`, writes, async (req) => {
      const t = target(req, true);
      const q = req.query as Query;
      const request: DeleteRequest = { propagationPolicy: parsePropagation(q.propagationPolicy), deleteDisks: parseBool("deleteDisks", q.deleteDisks), principal: callerOf(req) };
      const preconditions = deletePreconditions(q, req.body);
      // Preconditions are checked before the hook writes anything: a refused delete changes nothing.
      const hook = opts.deleteHooks?.[t.info.kind];
      let stored: KubeObject;
      let written: KubeObject | undefined;
      for (let attempt = 1; ; attempt++) {
        stored = await store.get(t.info.kind, t.namespace, t.name!);
        checkDeletePreconditions(stored, preconditions);
        try {
          written = hook ? await hook(stored, request) : undefined;
          break;
        } catch (err) {
          // Without preconditions the caller did not pin a revision: a writer in between is no reason to fail.
          const pinned = preconditions.resourceVersion !== undefined || preconditions.uid !== undefined;
          if (pinned || !isApiError(err, "Conflict") || attempt >= PATCH_ATTEMPTS) throw err;
        }
      }
      // The hook wrote at the checked revision, so the preconditions held when it wrote; otherwise the store
      // checks the revision atomically (a uid precondition pins the revision that carried that uid).
      const pin = written ? undefined : (preconditions.resourceVersion ?? (preconditions.uid ? stored.metadata.resourceVersion : undefined));
      const deleted = await store.delete(t.info.kind, t.namespace, t.name!, pin ? { resourceVersion: pin } : undefined);
      return redactFor(req.principal, deleted, "single");
    });
  }
}

/** authorize.ts admitted only authenticated callers to resource routes; reaching one without is a bug. */
function callerOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new ApiError("InternalError", `${req.method} ${req.url.split("?")[0]} reached without an authenticated caller`);
  return req.principal;
}

export function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^[0-9]+$/.test(value) || Number(value) < 1) throw new ApiError("BadRequest", `limit ${JSON.stringify(value)} must be a positive integer`);
  return Number(value);
}

export function parsePropagation(value: string | undefined): PropagationPolicy | undefined {
  if (value === undefined || value === "") return undefined;
  if (value === "Orphan" || value === "Background" || value === "Foreground") return value;
  throw new ApiError("BadRequest", `propagationPolicy ${JSON.stringify(value)} is not supported; use Orphan, Background or Foreground`);
}

export function parseBool(name: string, value: string | undefined): boolean {
  if (value === undefined || value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new ApiError("BadRequest", `${name} ${JSON.stringify(value)} must be true or false`);
}
