// Output formats for `get`: aligned tables, JSON, YAML and kind/name lines.
import { stringify } from "yaml";
import type { KubeObject } from "../api/meta.ts";
import type { OutputFormat } from "./args.ts";
import { columnsFor } from "./columns.ts";

export function renderTable(rows: string[][]): string {
  if (rows.length === 0) return "";
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return `${rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("   ")).join("\n")}\n`;
}

export interface PrintOptions {
  output: OutputFormat;
  allNamespaces: boolean;
  now?: Date;
}

/** One object (`single`) prints as itself; a list prints as {kind: <Kind>List, items}. */
export function printObjects(kind: string, objects: KubeObject[], single: boolean, opts: PrintOptions): string {
  const now = opts.now ?? new Date();
  switch (opts.output) {
    case "json":
      return `${JSON.stringify(single ? objects[0] : listOf(kind, objects), null, 2)}\n`;
    case "yaml":
      return stringify(single ? objects[0] : listOf(kind, objects));
    case "name":
      return objects.map((o) => `${kind.toLowerCase()}/${o.metadata.name}\n`).join("");
    default: {
      if (objects.length === 0) return "";
      const cols = columnsFor(kind, opts.output === "wide", opts.allNamespaces);
      return renderTable([cols.map((c) => c.header), ...objects.map((o) => cols.map((c) => c.value(o, now)))]);
    }
  }
}

export const listOf = (kind: string, items: KubeObject[]) => ({ apiVersion: "landfall.dev/v1beta1", kind: `${kind}List`, items });
