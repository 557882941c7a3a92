// The resource API: CRUD, /status, lists and watches for every kind, under /apis/landfall.dev/v1beta1 and
// (for Secret and ConfigMap) /api/v1. Validation, admission and redaction happen here; storage is the store's.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ApiError, isApiError } from "../api/errors.ts";
import type { KindInfo } from "../api/kinds.ts";
import { API_VERSION, type KubeObject } from "../api/meta.ts";
import { validateObject } from "../api/validate.ts";
import { APPLY_PATCH, mediaType, PATCH_TYPES, STRATEGIC_MERGE_PATCH } from "./bodies.ts";
import { checkManager, conflictError, planApply, recordUpdate, updateManager } from "./managed-fields.ts";
import { applyJsonPatch, applyMergePatch } from "./patch.ts";
import type { RouteAccess } from "./access.ts";
import { checkDeletePreconditions, deletePreconditions } from "./delete-preconditions.ts";
import { dryRunWriter, type ObjectWriter, parseDryRun } from "./dry-run.ts";
import { bodyAsObject, checkIdentityKept, patchMentionsResourceVersion, prepareCreate, type Target, withStoredStatus } from "./object-rules.ts";
import { CORE_PREFIX, checkPathSegment, GROUP_PREFIX, kindForPath } from "./paths.ts";
import { EncodedEvents } from "./encoded-events.ts";
import { listBody } from "./list-body.ts";
import type { JsonListResult } from "../store/types.ts";
import { hasRedactedValues, redactFor, withoutSecretCopies } from "./redact.ts";
import type { Principal } from "./tokens.ts";
import type { DeleteRequest, PropagationPolicy, ServerOptions } from "./types.ts";
import { parseIncludeObject, tableFields, tableFor, wantsTable } from "./table.ts";
import { parseFieldSelector, type WatchRegistry, serveWatch } from "./watch.ts";

type Params = { ns?: string; plural: string; name?: string };
type Query = Record<string, string | undefined>;

/** Server-side retries of a PATCH (or a delete hook) that did not pin a resourceVersion, when a writer got in between. */
const PATCH_ATTEMPTS = 5;

export function registerResourceRoutes(app: FastifyInstance, opts: ServerOptions, watches: WatchRegistry): void {
  const { store } = opts;
  const admission = opts.admission ?? [];
  const dryRun = dryRunWriter(store);
  // One encoding of each watch event for all of this server's watchers.
  const encodedEvents = new EncodedEvents();
  /** Where a write goes: the store, or (`?dryRun=All`) the judgement of what it would store. */
  const writerFor = (req: FastifyRequest): ObjectWriter => (parseDryRun((req.query as Query).dryRun, req.method === "DELETE" ? req.body : undefined) ? dryRun : store);

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
      if (q.watch === "true" || q.watch === "1") {
        const render = asTable(req, info);
        return serveWatch(req, reply, store, info, namespace, watches, {
          namespaces: namespace === undefined ? scope : undefined,
          render: render && ((obj, first) => render([obj], { withColumns: first })),
          bookmarkIntervalMs: opts.bookmarkIntervalMs,
          slowClientTimeoutMs: opts.slowWatchClientTimeoutMs,
          encoded: encodedEvents,
        });
      }
      const limit = parseLimit(q.limit);
      // kubectl wait lists with fieldSelector=metadata.name=NAME before it watches: the list must honour it too.
      const { name } = parseFieldSelector(q.fieldSelector);
      const byName = (o: KubeObject) => name === undefined || o.metadata.name === name;
      const table = asTable(req, info);
      const labelSelector = q.labelSelector || undefined;
      // The stored JSON goes out as it is unless something must read the objects: a Table's cells, a name
      // filter, a Secret's redaction. Parsing and re-serializing 10,000 objects was most of a list's time.
      const passthrough = !table && name === undefined && !hasRedactedValues(info.kind);
      if (namespace === undefined && scope !== undefined) {
        if (passthrough) return sendJsonList(reply, info, await collectJson(info, scope, labelSelector));
        return listScoped(req, info, scope, byName);
      }
      const options = { namespace, labelSelector, limit, continue: q.continue || undefined };
      if (passthrough) return sendJsonList(reply, info, await store.listJson(info.kind, options));
      // A Table's rows need metadata and the columns' fields only: the store reads just those (no Secret here:
      // its values are redacted from whole objects; includeObject=Object sends whole objects).
      if (table && name === undefined && !hasRedactedValues(info.kind) && parseIncludeObject(q.includeObject) !== "Object") {
        const page = await store.listFields(info.kind, tableFields(info), options);
        return table(page.items, { resourceVersion: page.resourceVersion, continue: page.continue });
      }
      const result = await store.list(info.kind, options);
      result.items = result.items.filter(byName);
      if (table) return table(result.items.map((o) => redactFor(req.principal, o, "collection")), { resourceVersion: result.resourceVersion, continue: result.continue });
      return {
        apiVersion: listKind,
        kind: `${info.kind}List`,
        metadata: { resourceVersion: result.resourceVersion, ...(result.continue ? { continue: result.continue } : {}) },
        items: result.items.map((o) => redactFor(req.principal, o, "collection")),
      };
    };

    const sendJsonList = (reply: FastifyReply, info: KindInfo, page: JsonListResult) =>
      reply.type("application/json; charset=utf-8").send(listBody(listKind, `${info.kind}List`, page, page.chunks));

    // A token limited to namespaces sees, across namespaces, the objects of its namespaces (one page).
    const collectJson = async (info: KindInfo, namespaces: string[], labelSelector: string | undefined): Promise<JsonListResult> => {
      const all = await collectNamespaces(namespaces, async (namespace, cont) => {
        const page = await store.listJson(info.kind, { namespace, labelSelector, continue: cont });
        return { items: page.chunks, resourceVersion: page.resourceVersion, continue: page.continue };
      });
      return { chunks: all.items, resourceVersion: all.resourceVersion };
    };

    const listScoped = async (req: FastifyRequest, info: KindInfo, namespaces: string[], byName: (o: KubeObject) => boolean) => {
      const labelSelector = (req.query as Query).labelSelector || undefined;
      const all = await collectNamespaces(namespaces, (namespace, cont) => store.list(info.kind, { namespace, labelSelector, continue: cont }));
      const redacted = all.items.filter(byName).map((o) => redactFor(req.principal, o, "collection"));
      const table = asTable(req, info);
      if (table) return table(redacted, { resourceVersion: all.resourceVersion });
      return { apiVersion: listKind, kind: `${info.kind}List`, metadata: { resourceVersion: all.resourceVersion }, items: redacted };
    };

    app.get(`${base}/:plural`, readsAll, (req, reply) => list(req, reply, kindForPath((req.params as Params).plural, core), undefined));
    app.get(`${base}/namespaces/:ns/:plural`, reads, (req, reply) => {
      const t = target(req, false);
      return list(req, reply, t.info, t.namespace);
    });

    app.post(`${base}/namespaces/:ns/:plural`, writes, async (req, reply) => {
      const t = target(req, false);
      const obj = withoutSecretCopies(prepareCreate(bodyAsObject(req.body, t)));
      obj.metadata.managedFields = recordUpdate(undefined, obj, managerOf(req), nowSeconds());
      validateObject(obj);
      await admit(req, "CREATE", obj, undefined);
      const created = await writerFor(req).create(obj);
      reply.code(201);
      return redactFor(req.principal, created, "single");
    });

    const getOne = async (req: FastifyRequest) => {
      const t = target(req, true);
      const obj = redactFor(req.principal, await store.get(t.info.kind, t.namespace, t.name!), "single");
      const table = asTable(req, t.info);
      return table ? table([obj], { resourceVersion: obj.metadata.resourceVersion }) : obj;
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
      obj.metadata.managedFields = recordUpdate(stored, obj, managerOf(req), nowSeconds());
      validateObject(obj);
      await admit(req, "UPDATE", obj, stored);
      return redactFor(req.principal, await writerFor(req).update(obj), "single");
    });

    app.put(`${base}/namespaces/:ns/:plural/:name/status`, writes, async (req) => {
      const t = statusTarget(req);
      const body = bodyAsObject(req.body, t);
      const stored = await store.get(t.info.kind, t.namespace, t.name!);
      const next: KubeObject = { ...stored, status: body.status, metadata: { ...stored.metadata, resourceVersion: body.metadata.resourceVersion } };
      if (next.metadata.resourceVersion === undefined) delete next.metadata.resourceVersion;
      validateObject(next);
      return redactFor(req.principal, await writerFor(req).updateStatus(next), "single");
    });

    const apply = async (req: FastifyRequest, reply: FastifyReply, t: Target) => {
      const q = req.query as Query;
      if (!q.fieldManager) throw new ApiError("BadRequest", "fieldManager is required for apply patches: add ?fieldManager=NAME (kubectl apply --server-side sends it)", { causes: [{ field: "fieldManager", message: "required" }] });
      const manager = checkManager(q.fieldManager);
      const force = parseBool("force", q.force);
      const applied = withoutSecretCopies(bodyAsObject(req.body, t));
      if (typeof applied.apiVersion !== "string") throw new ApiError("BadRequest", "apiVersion is required in an apply patch", { causes: [{ field: "apiVersion", message: "required" }] });
      for (let attempt = 1; ; attempt++) {
        const live = await store.get(t.info.kind, t.namespace, t.name!).catch((err: unknown) => {
          if (isApiError(err, "NotFound")) return undefined;
          throw err;
        });
        const plan = planApply(live, applied, manager, force, nowSeconds());
        if ("conflicts" in plan) throw conflictError(t.info.kind, t.name!, applied.apiVersion, plan.conflicts);
        const obj = withoutSecretCopies(plan.object);
        try {
          if (!live) {
            prepareCreate(obj);
            validateObject(obj);
            await admit(req, "CREATE", obj, undefined);
            const created = await writerFor(req).create(obj);
            reply.code(201);
            return redactFor(req.principal, created, "single");
          }
          obj.metadata.resourceVersion = live.metadata.resourceVersion;
          withStoredStatus(obj, live, t.info);
          validateObject(obj);
          await admit(req, "UPDATE", obj, live);
          return redactFor(req.principal, await writerFor(req).update(obj), "single");
        } catch (err) {
          if (!(isApiError(err, "Conflict") || isApiError(err, "AlreadyExists")) || attempt >= PATCH_ATTEMPTS) throw err;
        }
      }
    };

    const patch = (statusOnly: boolean) => async (req: FastifyRequest, reply: FastifyReply) => {
      const t = statusOnly ? statusTarget(req) : target(req, true);
      const type = mediaType(req.headers["content-type"]);
      if (!PATCH_TYPES.includes(type)) {
        throw new ApiError("UnsupportedMediaType", `PATCH needs Content-Type ${PATCH_TYPES.join(" or ")} (got "${type || "none"}")`);
      }
      if (type === APPLY_PATCH) {
        if (statusOnly) throw new ApiError("UnsupportedMediaType", `server-side apply of the status subresource is not supported; use ${PATCH_TYPES.filter((p) => p !== APPLY_PATCH).join(" or ")}`);
        return apply(req, reply, t);
      }
      if (type === STRATEGIC_MERGE_PATCH) checkStrategicAsMerge(t.info, req.body);
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
            return redactFor(req.principal, await writerFor(req).updateStatus(next), "single");
          }
          withStoredStatus(patched, stored, t.info);
          patched.metadata.managedFields = recordUpdate(stored, patched, managerOf(req), nowSeconds());
          validateObject(patched);
          await admit(req, "UPDATE", patched, stored);
          return redactFor(req.principal, await writerFor(req).update(patched), "single");
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
      const writer = writerFor(req);
      // Preconditions are checked before the hook writes anything: a refused delete changes nothing. A dry run runs no hook.
      const hook = writer === store ? opts.deleteHooks?.[t.info.kind] : undefined;
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
      const deleted = await writer.delete(t.info.kind, t.namespace, t.name!, pin ? { resourceVersion: pin } : undefined);
      return redactFor(req.principal, deleted, "single");
    });
  }
}

type TableRender = (objects: KubeObject[], extra: { resourceVersion?: string; continue?: string; withColumns?: boolean }) => unknown;

/** When the caller asks for a Table (kubectl get), how to render objects of `info` as one; else undefined. */
function asTable(req: FastifyRequest, info: KindInfo): TableRender | undefined {
  if (!wantsTable(req.headers.accept)) return undefined;
  const includeObject = parseIncludeObject((req.query as Query).includeObject);
  return (objects, extra) => tableFor(info, objects, { includeObject, now: new Date(), ...extra });
}

interface Page<T> {
  items: T[];
  resourceVersion: string;
  continue?: string;
}

/** Every page of every namespace read with `read`, as one page at the newest revision seen. */
async function collectNamespaces<T>(namespaces: readonly string[], read: (namespace: string, cont: string | undefined) => Promise<Page<T>>): Promise<Page<T>> {
  const items: T[] = [];
  let resourceVersion = "0";
  for (const ns of namespaces) {
    let cont: string | undefined;
    do {
      const page = await read(ns, cont);
      items.push(...page.items);
      if (Number(page.resourceVersion) > Number(resourceVersion)) resourceVersion = page.resourceVersion;
      cont = page.continue;
    } while (cont);
  }
  return { items, resourceVersion };
}

/** Kubernetes writes managedFields times in whole seconds. */
const nowSeconds = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

const managerOf = (req: FastifyRequest): string => updateManager((req.query as Query).fieldManager, req.headers["user-agent"]);

/**
 * kubectl sends strategic merge patches for Secret and ConfigMap (types it knows). Their objects hold maps of
 * strings only, where a strategic merge patch without directives means what a JSON merge patch means; a patch
 * with `$` directives, or one for any other kind, is refused rather than half-understood.
 */
export function checkStrategicAsMerge(info: KindInfo, patch: unknown): void {
  if (!info.core) throw new ApiError("UnsupportedMediaType", `${info.kind} takes application/merge-patch+json, application/json-patch+json or application/apply-patch+yaml, not strategic merge patches`);
  const directive = (v: unknown): boolean => v !== null && typeof v === "object" && Object.entries(v).some(([k, x]) => k.startsWith("$") || directive(x));
  if (directive(patch)) throw new ApiError("UnsupportedMediaType", `strategic merge patch directives ($patch, $retainKeys, …) are not supported for ${info.kind}; send a JSON merge patch`);
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
