// A thin virsh client: one method per virsh command landfall uses, every call through the bounded runner.
// Domains are addressed by UUID wherever we have it (names are the caller's and may be reused).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LibvirtError } from "./errors.ts";
import { ToolError, type ToolRunner } from "../../disk/run-tool.ts";

/** libvirt reports a missing domain or pool with these phrases (VIR_ERR_NO_DOMAIN / VIR_ERR_NO_STORAGE_POOL). */
const NOT_FOUND_PATTERN = /Domain not found|no domain with matching|failed to get domain|Storage pool not found|no storage pool with matching|failed to get pool/i;

export function isNotFound(error: unknown): boolean {
  return error instanceof LibvirtError && NOT_FOUND_PATTERN.test(error.stderr);
}

const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Domains described per virsh process by dumpXMLs (the command line stays far below any argument limit). */
export const DUMPXML_BATCH = 64;

/** The `<domain>` documents of concatenated `virsh dumpxml` outputs. Pure. */
export function splitDomainDocuments(output: string): string[] {
  return output
    .split(/(?<=<\/domain>)/)
    .map((part) => part.trim())
    .filter((part) => part.startsWith("<domain"));
}

export interface PoolInfo {
  name: string;
  state: string;
  autostart: boolean;
  capacityBytes: number;
  availableBytes: number;
}

/** `virsh pool-info --bytes` → PoolInfo. */
export function parsePoolInfo(output: string): PoolInfo {
  const fields = new Map<string, string>();
  for (const line of output.split("\n")) {
    const at = line.indexOf(":");
    if (at > 0) fields.set(line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim());
  }
  const bytes = (key: string) => Number.parseInt(fields.get(key) ?? "0", 10) || 0;
  return {
    name: fields.get("name") ?? "",
    state: fields.get("state") ?? "",
    autostart: fields.get("autostart") === "yes",
    capacityBytes: bytes("capacity"),
    availableBytes: bytes("available"),
  };
}

/** `virsh list --all --uuid --name` → each domain's UUID and name ("<uuid> <name>" a line; names hold no newline). */
export function parseDomainList(output: string): Array<{ uuid: string; name: string }> {
  return output
    .split("\n")
    .map((line) => /^\s*([0-9a-fA-F-]{36}) (.+)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ uuid: m[1].toLowerCase(), name: m[2] }));
}

export class Virsh {
  readonly uri: string;
  readonly #runner: ToolRunner;

  constructor(uri: string, runner: ToolRunner) {
    this.uri = uri;
    this.#runner = runner;
  }

  /** virsh's stdout; its failures become LibvirtErrors carrying its stderr, which isNotFound and callers classify. */
  async run(args: string[], options: { input?: string; timeoutMs?: number; onStderr?: (text: string) => void } = {}): Promise<string> {
    try {
      return await this.#runner.run("virsh", ["-c", this.uri, ...args], options);
    } catch (error) {
      if (!(error instanceof ToolError)) throw error;
      throw new LibvirtError(error.timedOut ? "Timeout" : "CommandFailed", error.message, { cause: error, stderr: error.stderr });
    }
  }

  async version(): Promise<string> {
    return this.run(["version"], { timeoutMs: 15_000 });
  }

  /** Live XML for running domains (labels set with --live show there), persistent XML otherwise. */
  async dumpXML(domain: string, options: { inactive?: boolean } = {}): Promise<string> {
    const args = ["dumpxml", domain];
    if (options.inactive) args.push("--inactive");
    return this.run(args);
  }

  /**
   * The XML of many domains from one virsh process (`dumpxml A; dumpxml B; …`): a host's inventory costs one
   * process per DUMPXML_BATCH domains, not one per domain. Keyed by the UUID each document names; a domain that
   * vanished before its turn is absent (virsh goes on after a failed command). Any other failure throws.
   */
  async dumpXMLs(uuids: string[]): Promise<Map<string, string>> {
    const documents = new Map<string, string>();
    for (let at = 0; at < uuids.length; at += DUMPXML_BATCH) {
      const batch = uuids.slice(at, at + DUMPXML_BATCH);
      for (const uuid of batch) {
        if (!UUID_PATTERN.test(uuid)) throw new LibvirtError("InvalidArgument", `dumpXMLs: ${JSON.stringify(uuid)} is not a domain UUID`);
      }
      let stderr = "";
      const stdout = await this.run([batch.map((uuid) => `dumpxml ${uuid}`).join(" ; ")], {
        onStderr: (text) => {
          stderr += text;
        },
      });
      const unexpected = stderr.split("\n").filter((line) => line.trim() && !NOT_FOUND_PATTERN.test(line));
      if (unexpected.length > 0) throw new LibvirtError("CommandFailed", `virsh dumpxml of ${batch.length} domains: ${unexpected.join("; ")}`, { stderr });
      for (const document of splitDomainDocuments(stdout)) {
        const uuid = /<uuid>\s*([0-9a-fA-F-]{36})\s*<\/uuid>/.exec(document)?.[1];
        if (uuid) documents.set(uuid.toLowerCase(), document);
      }
    }
    return documents;
  }

  async domstate(domain: string): Promise<string> {
    return this.run(["domstate", domain]);
  }

  /** Every domain's UUID, or (state) those libvirt lists in that state: one process answers for all domains. */
  async listUUIDs(state?: "running" | "paused" | "shutoff"): Promise<string[]> {
    const stdout = await this.run(state ? ["list", "--all", `--state-${state}`, "--uuid"] : ["list", "--all", "--uuid"]);
    return stdout
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
  }

  /** Every domain's UUID and name, from one process. */
  async listDomains(): Promise<Array<{ uuid: string; name: string }>> {
    return parseDomainList(await this.run(["list", "--all", "--uuid", "--name"]));
  }

  /**
   * Defines from a private temporary file. Not /dev/stdin: Node's stdio "pipes" are socketpairs, which
   * virsh cannot open by path (ENXIO).
   */
  async define(xml: string): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), "landfall-domain-"));
    try {
      const file = join(dir, "domain.xml");
      await writeFile(file, xml, { mode: 0o600 });
      await this.run(["define", file]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async power(domain: string, command: "start" | "resume" | "shutdown" | "destroy" | "reboot"): Promise<void> {
    await this.run([command, domain]);
  }

  async undefine(domain: string, options: { nvram: boolean }): Promise<void> {
    const args = ["undefine", domain, "--managed-save", "--snapshots-metadata", "--checkpoints-metadata"];
    if (options.nvram) args.push("--nvram");
    await this.run(args);
  }

  /** Replaces the metadata element of `namespace` (bound to prefix `key`) in the chosen definitions. */
  async setMetadata(
    domain: string,
    namespace: string,
    key: string,
    xml: string,
    scope: { live: boolean; config: boolean },
  ): Promise<void> {
    const args = ["metadata", domain, "--uri", namespace, "--key", key, "--set", xml];
    if (scope.live) args.push("--live");
    if (scope.config) args.push("--config");
    await this.run(args);
  }

  async poolInfo(pool: string): Promise<PoolInfo> {
    return parsePoolInfo(await this.run(["pool-info", pool, "--bytes"]));
  }

  async poolXML(pool: string): Promise<string> {
    return this.run(["pool-dumpxml", pool]);
  }

  async definePoolDir(pool: string, dir: string): Promise<void> {
    await this.run(["pool-define-as", pool, "dir", "--target", dir]);
  }

  async poolCommand(pool: string, command: "pool-build" | "pool-start" | "pool-autostart" | "pool-refresh"): Promise<void> {
    await this.run([command, pool]);
  }

  async volPath(pool: string, volume: string): Promise<string> {
    return (await this.run(["vol-path", "--pool", pool, volume])).trim();
  }
}

/** The directory a `dir` pool keeps its volumes in (`<pool><target><path>`). */
export function poolTargetPath(xml: string): string {
  const match = /<target>\s*<path>([^<]*)<\/path>/.exec(xml);
  if (!match) throw new LibvirtError("InvalidArgument", "storage pool XML has no <target><path>: is it a dir pool?");
  return match[1].trim();
}
