// Table responses (meta.k8s.io/v1 Table), what `kubectl get` asks for to print the CRDs' printer columns.
// Pure: the resource routes and watches decide when to answer with a Table and send what this builds.
import { ApiError } from "../api/errors.ts";
import { PRINTER_COLUMNS, type PrinterColumn } from "../api/crds.ts";
import type { KindInfo } from "../api/kinds.ts";
import type { KubeObject } from "../api/meta.ts";
import { outermostFields } from "../store/fields.ts";

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  object?: unknown;
}

export interface Table {
  kind: "Table";
  apiVersion: "meta.k8s.io/v1";
  metadata: { resourceVersion?: string; continue?: string };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export type IncludeObject = "None" | "Metadata" | "Object";

/** Whether an Accept header asks for a Table: `application/json;as=Table;v=v1;g=meta.k8s.io` (v1beta1 too). */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? "").split(",").some((part) => {
    const params = new Map(
      part
        .split(";")
        .slice(1)
        .map((p) => p.trim().split("=") as [string, string]),
    );
    return params.get("as") === "Table" && params.get("g") === "meta.k8s.io" && (params.get("v") === "v1" || params.get("v") === "v1beta1");
  });
}

export function parseIncludeObject(value: string | undefined): IncludeObject {
  if (value === undefined || value === "") return "Metadata";
  if (value === "None" || value === "Metadata" || value === "Object") return value;
  throw new ApiError("BadRequest", `includeObject ${JSON.stringify(value)} is not supported; use None, Metadata or Object`);
}

const NAME_COLUMN: TableColumnDefinition = { name: "Name", type: "string", format: "name", description: "Name must be unique within a namespace.", priority: 0 };
const AGE: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };

export function columnsFor(info: KindInfo): PrinterColumn[] {
  return PRINTER_COLUMNS[info.kind] ?? [AGE];
}

export function columnDefinitions(info: KindInfo): TableColumnDefinition[] {
  return [
    NAME_COLUMN,
    ...columnsFor(info).map((c) => ({ name: c.name, type: c.type === "date" ? "string" : c.type, format: c.type === "date" ? "date" : "", description: c.description ?? "", priority: c.priority ?? 0 })),
  ];
}

/**
 * The stored fields a Table of `info` reads (store listFields): metadata (the name, and each row's
 * PartialObjectMetadata) and, per printer column, its JSONPath up to the first `[` — its filters and indexes
 * are then evaluated by `cell` over those fields as over the whole object. Not for includeObject=Object.
 */
export function tableFields(info: KindInfo): string[] {
  const rooted = columnsFor(info).map((c) => (c.jsonPath.match(/^(?:\.[A-Za-z0-9_-]+)+/)?.[0] ?? "").slice(1));
  if (rooted.some((f) => f === "")) throw new Error(`a printer column of ${info.kind} does not start with a .field; it cannot be read from stored fields`);
  return outermostFields(["metadata", ...rooted]);
}

export function tableFor(info: KindInfo, objects: KubeObject[], opts: { includeObject: IncludeObject; resourceVersion?: string; continue?: string; now: Date; withColumns?: boolean }): Table {
  const readers = columnsFor(info).map(cellReader);
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { ...(opts.resourceVersion ? { resourceVersion: opts.resourceVersion } : {}), ...(opts.continue ? { continue: opts.continue } : {}) },
    columnDefinitions: opts.withColumns === false ? [] : columnDefinitions(info),
    rows: objects.map((obj) => ({ cells: [obj.metadata.name, ...readers.map((read) => read(obj, opts.now))], ...rowObject(obj, opts.includeObject) })),
  };
}

function rowObject(obj: KubeObject, include: IncludeObject): { object?: unknown } {
  if (include === "None") return {};
  if (include === "Object") return { object: obj };
  return { object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: obj.metadata } };
}

/** One cell: the column's JSONPath over the object; dates print as an age, like kube-apiserver's CRD tables. */
export function cell(obj: unknown, column: PrinterColumn, now: Date): unknown {
  return cellReader(column)(obj, now);
}

/** The column's cell function, its JSONPath parsed once (a Table reads it on every row). */
function cellReader(column: PrinterColumn): (obj: unknown, now: Date) => unknown {
  const read = compileJsonPath(column.jsonPath);
  return (obj, now) => {
    const values = read(obj);
    if (values.length === 0 || values[0] === undefined || values[0] === null) return null;
    const value = values[0];
    if (column.type === "date") return typeof value === "string" && !Number.isNaN(Date.parse(value)) ? humanAge(now.getTime() - Date.parse(value)) : String(value);
    if (column.type === "integer" || column.type === "number") return typeof value === "number" ? value : null;
    if (column.type === "boolean") return typeof value === "boolean" ? value : null;
    return typeof value === "string" ? value : JSON.stringify(value);
  };
}

/** Kubernetes' HumanDuration, simplified: 45s, 12m, 3h, 5d, 2y. */
export function humanAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 3600 * 2) return `${Math.floor(s / 60)}m`;
  if (s < 86400 * 2) return `${Math.floor(s / 3600)}h`;
  if (s < 86400 * 365 * 2) return `${Math.floor(s / 86400)}d`;
  return `${Math.floor(s / (86400 * 365))}y`;
}

/**
 * The JSONPath subset printer columns use: `.a.b`, `.a[0]`, `.a[*]` and `.a[?(@.k=="v")]` (also `!=`), e.g.
 * `.status.conditions[?(@.type=="Ready")].status`. Anything else is an error naming the path.
 */
export function jsonPathValues(root: unknown, path: string): unknown[] {
  return compileJsonPath(path)(root);
}

type Step = (value: unknown, next: unknown[]) => void;

/** A JSONPath of the subset parsed once, for a column read on every row of a list. */
export function compileJsonPath(path: string): (root: unknown) => unknown[] {
  const tokens = /^(?:\.[A-Za-z0-9_-]+|\[(?:\d+|\*|\?\(@\.[A-Za-z0-9_-]+\s*(?:==|!=)\s*"[^"]*"\))\])+$/.test(path) ? path.match(/\.[A-Za-z0-9_-]+|\[[^\]]+\]/g) : null;
  if (!tokens) throw new Error(`printer column JSONPath ${JSON.stringify(path)} uses syntax beyond .field, [N], [*] and [?(@.field=="value")]`);
  const steps = tokens.map(stepOf);
  return (root) => {
    let current: unknown[] = [root];
    for (const step of steps) {
      const next: unknown[] = [];
      for (const value of current) step(value, next);
      current = next.filter((v) => v !== undefined);
    }
    return current;
  };
}

function stepOf(token: string): Step {
  if (token.startsWith(".")) {
    const key = token.slice(1);
    return (value, next) => {
      if (value && typeof value === "object" && !Array.isArray(value)) next.push((value as Record<string, unknown>)[key]);
    };
  }
  const inner = token.slice(1, -1);
  if (inner === "*") {
    return (value, next) => {
      if (Array.isArray(value)) next.push(...value);
    };
  }
  if (/^\d+$/.test(inner)) {
    const index = Number(inner);
    return (value, next) => {
      if (Array.isArray(value)) next.push(value[index]);
    };
  }
  const m = /^\?\(@\.([A-Za-z0-9_-]+)\s*(==|!=)\s*"([^"]*)"\)$/.exec(inner);
  if (!m) return () => {};
  const [, key, op, wanted] = m;
  return (value, next) => {
    if (Array.isArray(value)) next.push(...value.filter((item) => item && typeof item === "object" && ((item as Record<string, unknown>)[key] === wanted) === (op === "==")));
  };
}
