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

/**
 * A file next to `sibling`: VMDK extents and a delta's parent are named relative to the descriptor. Only names
 * inside the descriptor's directory are followed — an absolute path or ".." could make a crafted descriptor
 * read any file on the host's datastores.
 */
export function siblingPath(sibling: DatastorePath, name: string): DatastorePath {
  if (name.startsWith("/") || name.includes("\\") || /^[A-Za-z]:/.test(name)) {
    throw new SourceProviderError(
      "NotSupported",
      `VMDK file "${name}" named by ${formatDatastorePath(sibling)} is an absolute host path; only files in the VM's directory are read (a linked clone's base disk is not: consolidate or clone the VM to full disks first)`,
    );
  }
  if (name.split("/").some((part) => part === ".." || part === "." || part === "")) {
    throw new SourceProviderError(
      "NotSupported",
      `VMDK file "${name}" named by ${formatDatastorePath(sibling)} leaves the VM's directory; only files in the VM's directory are read`,
    );
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
