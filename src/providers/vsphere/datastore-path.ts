// Datastore paths as vSphere writes them: "[LocalDS_0] web01/web01.vmdk". Pure.
import { SourceProviderError } from "./errors.ts";

export interface DatastorePath {
  datastore: string;
  /** Path inside the datastore, without a leading slash. */
  path: string;
}

export function parseDatastorePath(fileName: string): DatastorePath {
  const m = /^\[([^\]]+)\]\s*(.*)$/.exec(fileName.trim());
  if (!m) {
    throw new SourceProviderError("SourceError", `disk file "${fileName}" is not a datastore path like "[datastore] vm/vm.vmdk"`);
  }
  return { datastore: m[1], path: m[2].replace(/^\/+/, "") };
}

export function formatDatastorePath(p: DatastorePath): string {
  return `[${p.datastore}] ${p.path}`;
}

/** A file next to `sibling` (VMDK extents are named relative to their descriptor). */
export function siblingPath(sibling: DatastorePath, name: string): DatastorePath {
  if (name.startsWith("/")) {
    throw new SourceProviderError("NotSupported", `VMDK extent "${name}" of ${formatDatastorePath(sibling)} is an absolute host path`);
  }
  const slash = sibling.path.lastIndexOf("/");
  return { datastore: sibling.datastore, path: slash < 0 ? name : `${sibling.path.slice(0, slash + 1)}${name}` };
}

/** The datastore file API URL: `/folder/<path>?dcPath=<dc>&dsName=<ds>` on the SDK's host. */
export function datastoreFileUrl(origin: string, datacenter: string, file: DatastorePath): URL {
  const encoded = file.path.split("/").map(encodeURIComponent).join("/");
  const url = new URL(`/folder/${encoded}`, origin);
  url.searchParams.set("dcPath", datacenter);
  url.searchParams.set("dsName", file.datastore);
  return url;
}
