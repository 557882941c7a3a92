// Reading manifests for `apply`: multi-document YAML or JSON (a single object, an array, or a List).
import { readFile } from "node:fs/promises";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../api/meta.ts";
import { UsageError } from "./args.ts";

export function parseManifests(text: string, source: string): KubeObject[] {
  const out: KubeObject[] = [];
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return out;
  docs.forEach((doc, i) => {
    if (doc.errors.length > 0) {
      throw new UsageError(`${source}: document ${i + 1} is not valid YAML/JSON: ${doc.errors[0].message.split("\n")[0]}`);
    }
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) return;
    const items = Array.isArray(value) ? value : isList(value) ? (value as { items: unknown[] }).items : [value];
    for (const item of items) {
      if (item === null || typeof item !== "object" || Array.isArray(item)) throw new UsageError(`${source}: document ${i + 1} is not an object`);
      const obj = item as KubeObject;
      if (typeof obj.kind !== "string" || !obj.kind) throw new UsageError(`${source}: document ${i + 1} has no kind`);
      if (typeof obj.metadata?.name !== "string") throw new UsageError(`${source}: ${obj.kind} in document ${i + 1} has no metadata.name`);
      out.push(obj);
    }
  });
  return out;
}

const isList = (v: unknown): boolean => typeof (v as { kind?: unknown }).kind === "string" && (v as { kind: string }).kind.endsWith("List") && Array.isArray((v as { items?: unknown }).items);

export async function readManifests(file: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<KubeObject[]> {
  let text: string;
  if (file === "-") {
    const chunks: Buffer[] = [];
    for await (const c of stdin) chunks.push(Buffer.from(c as Buffer));
    text = Buffer.concat(chunks).toString("utf8");
  } else {
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
    }
  }
  return parseManifests(text, file === "-" ? "stdin" : file);
}
