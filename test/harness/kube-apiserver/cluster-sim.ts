// TEST-ONLY simulation of what a cluster's controllers do with the objects landfall writes, for the test API
// server (no CDI or KubeVirt can run here). It is deliberately small and honest about what it proves:
// - CDI importer: for each new DataVolume with `source.http`, it downloads `url` over HTTPS trusting only the CA
//   in the DataVolume's `certConfigMap` (as CDI's importer pod does), hashes what it received, compares with
//   `checksum`, stores the bytes as the "PVC" (<storageDir>/<namespace>/<name>.img; a qcow2 download is
//   converted to raw with qemu-img, as CDI does) and sets `status.phase: Succeeded` (progress 100.0%) — or
//   `Failed` with a condition whose message names the checksum mismatch (or the download error).
// - KubeVirt: a VirtualMachine's `status.printableStatus` follows `spec.runStrategy` (Always → Running,
//   Halted → Stopped). No VMI, pod or guest exists.
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { Agent, fetch } from "undici";
import type { KubeObject } from "../../../src/api/meta.ts";
import type { Change } from "./objects.ts";
import type { KubeApiServer } from "./server.ts";

const run = promisify(execFile);

export interface ClusterSimulation {
  /** The file holding a DataVolume's bytes ("the PVC") once its import succeeded. */
  volumeFile(namespace: string, name: string): string;
  /** Resolves when every import started so far has ended. */
  idle(): Promise<void>;
  stop(): void;
}

interface HttpSource {
  url: string;
  checksum?: string;
  certConfigMap?: string;
}

export function startClusterSimulation(api: KubeApiServer, opts: { storageDir: string }): ClusterSimulation {
  const dvType = api.type("cdi.kubevirt.io", "DataVolume");
  const vmType = api.type("kubevirt.io", "VirtualMachine");
  const cmType = api.type("", "ConfigMap");
  const inFlight = new Set<Promise<void>>();
  const volumeFile = (ns: string, name: string) => join(opts.storageDir, ns, `${name}.img`);

  const setStatus = (type: typeof dvType, ns: string, name: string, status: Record<string, unknown>) => {
    try {
      const current = api.objects.get(type, ns, name);
      api.objects.update(type, ns, name, { ...current, status }, "status");
    } catch {
      // deleted meanwhile: nothing to report on
    }
  };

  const importDataVolume = async (dv: KubeObject): Promise<void> => {
    const ns = dv.metadata.namespace as string;
    const name = dv.metadata.name;
    const http = (dv.spec as { source?: { http?: HttpSource } }).source?.http;
    if (!http) return; // upload and other sources: nothing simulated
    await new Promise((resolve) => setImmediate(resolve)); // never write from inside the API server's own commit
    setStatus(dvType, ns, name, { phase: "ImportInProgress", progress: "0.0%" });
    const fail = (message: string) =>
      setStatus(dvType, ns, name, {
        phase: "Failed",
        conditions: [
          { type: "Ready", status: "False", reason: "Error", message },
          { type: "Running", status: "False", reason: "Error", message },
        ],
      });
    try {
      const ca = http.certConfigMap ? Object.values((api.objects.get(cmType, ns, http.certConfigMap).data as Record<string, string>) ?? {}).join("\n") : undefined;
      const agent = new Agent({ connect: ca ? { ca } : {} });
      const dir = join(opts.storageDir, ns);
      await mkdir(dir, { recursive: true });
      const partial = join(dir, `.${name}.download`);
      const hash = createHash("sha256");
      try {
        const res = await fetch(http.url, { dispatcher: agent });
        if (!res.ok || !res.body) throw new Error(`GET ${http.url}: HTTP ${res.status}`);
        const file = await open(partial, "w");
        try {
          for await (const chunk of res.body) {
            hash.update(chunk);
            await file.write(chunk);
          }
        } finally {
          await file.close();
        }
      } finally {
        await agent.close();
      }
      const got = `sha256:${hash.digest("hex")}`;
      if (http.checksum && http.checksum !== got) {
        await rm(partial, { force: true });
        fail(`Unable to process data: checksum mismatch: expected ${http.checksum}, got ${got}`);
        return;
      }
      const head = (await readFile(partial)).subarray(0, 4);
      if (head.equals(Buffer.from([0x51, 0x46, 0x49, 0xfb]))) {
        await run("qemu-img", ["convert", "-f", "qcow2", "-O", "raw", partial, volumeFile(ns, name)]);
        await rm(partial, { force: true });
      } else {
        await rename(partial, volumeFile(ns, name));
      }
      setStatus(dvType, ns, name, {
        phase: "Succeeded",
        progress: "100.0%",
        conditions: [
          { type: "Bound", status: "True", reason: "Bound", message: `PVC ${name} Bound` },
          { type: "Ready", status: "True", reason: "Completed", message: "" },
          { type: "Running", status: "False", reason: "Completed", message: "" },
        ],
      });
    } catch (err) {
      fail(`Unable to connect to http data source: ${(err as Error).message}`);
    }
  };

  const onChange = (c: Change) => {
    if (c.type === dvType && c.event === "ADDED") {
      const job = importDataVolume(c.object).finally(() => inFlight.delete(job));
      inFlight.add(job);
    }
    if (c.type === vmType && c.event !== "DELETED") {
      const strategy = (c.object.spec as { runStrategy?: string }).runStrategy;
      const printable = strategy === "Always" ? "Running" : strategy === "Halted" ? "Stopped" : undefined;
      const current = (c.object.status as { printableStatus?: string } | undefined)?.printableStatus;
      if (printable && printable !== current) {
        const ns = c.object.metadata.namespace as string;
        const name = c.object.metadata.name;
        setImmediate(() => setStatus(vmType, ns, name, { ...((c.object.status as object) ?? {}), printableStatus: printable }));
      }
    }
  };
  const unsubscribe = api.objects.subscribe(onChange);
  return {
    volumeFile,
    idle: async () => {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    stop: unsubscribe,
  };
}
