// The landfall CLI: `serve` runs the control plane; every other command talks to a server over HTTP.
import { Command, Option } from "commander";
import { isApiError } from "../api/errors.ts";
import { parseKindAndName, parseOutput, UsageError } from "./args.ts";
import { LandfallClient } from "./client.ts";
import { adoptCommand, unadoptCommand } from "./commands/adopt.ts";
import { applyCommand } from "./commands/apply.ts";
import { cloneCommand } from "./commands/clone.ts";
import { crdsCommand } from "./commands/crds.ts";
import { deleteCommand } from "./commands/delete.ts";
import { getCommand } from "./commands/get.ts";
import { inventoryCommand } from "./commands/inventory.ts";
import { logsCommand } from "./commands/logs.ts";
import { type PowerAction, powerCommand } from "./commands/power.ts";
import { renderCozystackCommand, renderForkliftCommand } from "./commands/render.ts";
import { auditCommand } from "./commands/audit.ts";
import { tokenCreateCommand, tokenListCommand, tokenRevokeCommand, whoamiCommand } from "./commands/token.ts";
import { waitWithProgress } from "./commands/wait-progress.ts";
import { defaultDataDir, resolveClientConfig } from "./config.ts";
import { describeObject } from "./describe.ts";
import { readPackageVersion } from "./package-version.ts";

const out = (line: string) => process.stdout.write(`${line}\n`);
const print = (r: { stdout: string; stderr: string }) => {
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
};
const client = () => new LandfallClient(resolveClientConfig());

/** Every failure ends as one line on stderr and exit code 1 (2 for usage mistakes). */
function run<A extends unknown[]>(fn: (...args: A) => Promise<unknown>) {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      const message = isApiError(err) ? `${err.message}${err.code === 401 ? " (server rejected the token)" : ""}` : (err as Error).message;
      process.stderr.write(`error: ${message.replace(/\s*\n\s*/g, "; ")}\n`);
      process.exitCode = err instanceof UsageError ? 2 : 1;
    }
  };
}

const nsOption = () => new Option("-n, --namespace <ns>", "namespace").default(undefined);

export function buildProgram(version: string): Command {
  const program = new Command("landfall")
    .description("move VMs from vSphere to KVM (libvirt, KubeVirt) and bring imported VMs under management")
    .version(version, "--client-version", "print the CLI version")
    .showHelpAfterError("(run with --help for usage)");

  program
    .command("serve")
    .description("run the embedded control plane (SQLite store, HTTP API, controllers)")
    .option("--data-dir <dir>", "data directory", defaultDataDir())
    .option("--listen <host:port>", "address to listen on", "127.0.0.1:7780")
    .option("--tls-cert <file>", "TLS certificate (PEM)")
    .option("--tls-key <file>", "TLS private key (PEM)")
    .option("--insecure-http", "allow plain HTTP on a non-loopback address")
    .addOption(new Option("--preset <name>", "label/annotation conventions").choices(["landfall", "cozystack"]))
    .option("--controllers <names>", "controllers to run: all, none, or a comma-separated list (provider, virtualmachine, vmimage, vmmigration, vmimport, adoption)", "all")
    .action(
      run(async (o: { dataDir: string; listen: string; tlsCert?: string; tlsKey?: string; insecureHttp?: boolean; preset?: string; controllers?: string }) => {
        // Loaded only here: the server, store and controllers are not needed by client commands.
        const { serveCommand } = await import("./commands/serve.ts");
        await serveCommand(o, out);
      }),
    );

  program
    .command("apply")
    .description("create or update the objects in a manifest (multi-document YAML or JSON)")
    .requiredOption("-f, --filename <file>", "manifest file, or - for stdin")
    .addOption(nsOption())
    .action(run(async (o: { filename: string; namespace?: string }) => applyCommand(client(), o.filename, o.namespace, out)));

  program
    .command("get")
    .description("list objects of a kind, or show one (KIND NAME or KIND/NAME)")
    .argument("<kind>", "kind: singular, plural or short name (vm, vmm, prov, …)")
    .argument("[name]", "object name")
    .addOption(nsOption())
    .option("-A, --all-namespaces", "list across all namespaces")
    .option("-l, --selector <selector>", "label selector, e.g. app=web,tier!=db")
    .option("-o, --output <format>", "table | wide | json | yaml | name", "table")
    .action(
      run(async (kind: string, name: string | undefined, o: { namespace?: string; allNamespaces?: boolean; selector?: string; output: string }) => {
        const r = await getCommand(client(), kind, name, { ...o, output: parseOutput(o.output) });
        process.stdout.write(r.stdout);
        process.stderr.write(r.stderr);
      }),
    );

  program
    .command("describe")
    .description("show one object for humans: metadata, spec, status, conditions")
    .argument("<kind>", "kind, or KIND/NAME")
    .argument("[name]", "object name")
    .addOption(nsOption())
    .action(
      run(async (kind: string, nameArg: string | undefined, o: { namespace?: string }) => {
        const { info, name } = parseKindAndName(kind, nameArg);
        if (!name) throw new UsageError(`describe needs a name: landfall describe ${info.singular} NAME`);
        process.stdout.write(describeObject(await client().get(info, o.namespace ?? "default", name)));
      }),
    );

  program
    .command("delete")
    .description("delete an object")
    .argument("<kind>", "kind, or KIND/NAME")
    .argument("[name]", "object name")
    .addOption(nsOption())
    .option("--cascade <policy>", "orphan: forget the resource, leave what it manages untouched (background | foreground)")
    .option("--delete-disks", "VirtualMachine: also delete its disks")
    .action(
      run(async (kind: string, name: string | undefined, o: { namespace?: string; cascade?: string; deleteDisks?: boolean }) =>
        out(await deleteCommand(client(), kind, name, o)),
      ),
    );

  program
    .command("wait")
    .description("wait for a condition on one object")
    .argument("<target>", "KIND/NAME (or KIND NAME)")
    .argument("[name]", "object name")
    .addOption(nsOption())
    .option("--for <condition>", "condition=Ready | jsonpath='{.status.phase}'=Succeeded | delete")
    .option("--timeout <duration>", "give up after this long (e.g. 30s, 5m)", "30s")
    .action(
      run(async (target: string, name: string | undefined, o: { for?: string; timeout?: string; namespace?: string }) =>
        out(
          await waitWithProgress(client(), target, name, o, {
            isTTY: Boolean(process.stderr.isTTY),
            columns: process.stderr.columns,
            write: (text) => process.stderr.write(text),
          }),
        ),
      ),
    );

  const powerVerbs: Array<[PowerAction, string]> = [
    ["start", "power a VirtualMachine on (sets spec.powerState: On)"],
    ["stop", "power a VirtualMachine off (sets spec.powerState: Off)"],
    ["restart", "reboot a running VirtualMachine (starts it when it is off)"],
  ];
  for (const [verb, description] of powerVerbs) {
    program
      .command(verb)
      .description(description)
      .argument("<kind>", "vm, or vm/NAME")
      .argument("[name]", "VirtualMachine name")
      .addOption(nsOption())
      .action(run(async (kind: string, name: string | undefined, o: { namespace?: string }) => out(await powerCommand(client(), verb, kind, name, o))));
  }

  program
    .command("clone")
    .description("copy a VirtualMachine's disks into a new VirtualMachine (clone vm SRC NEW)")
    .argument("<kind>", "vm, or vm/SRC")
    .argument("[source]", "VirtualMachine to copy")
    .argument("[new]", "name of the new VirtualMachine")
    .addOption(nsOption())
    .option("--power-on", "start the clone once created")
    .action(
      run(async (kind: string, source: string | undefined, newName: string | undefined, o: { namespace?: string; powerOn?: boolean }) =>
        out(await cloneCommand(client(), kind, source, newName, o)),
      ),
    );

  program
    .command("inventory")
    .description("list the VMs a provider sees now (source VMs, or target domains and whether landfall manages them)")
    .argument("<provider>", "Provider name")
    .addOption(nsOption())
    .option("-o, --output <format>", "table | wide | json | yaml | name", "table")
    .action(run(async (provider: string, o: { namespace?: string; output: string }) => print(await inventoryCommand(client(), provider, { ...o, output: parseOutput(o.output) }))));

  program
    .command("adopt")
    .description("bring a VM on a target provider under management without touching its disks")
    .argument("<provider/vm>", "PROVIDER/VM, VM being the name or UUID on that provider")
    .addOption(nsOption())
    .option("--plan <name>", "plan recorded as the VM's original plan (default: manual)")
    .action(run(async (target: string, o: { namespace?: string; plan?: string }) => out(await adoptCommand(client(), target, o))));

  program
    .command("unadopt")
    .description("release an adopted VirtualMachine: labels, tracking ConfigMap and resource go; the VM keeps running, untouched")
    .argument("<kind>", "vm, or vm/NAME")
    .argument("[name]", "VirtualMachine name")
    .addOption(nsOption())
    .action(run(async (kind: string, name: string | undefined, o: { namespace?: string }) => out(await unadoptCommand(client(), kind, name, o))));

  program
    .command("logs")
    .description("events recorded for an object (and a VMMigration's phase history)")
    .argument("<kind>", "KIND/NAME, or KIND")
    .argument("[name]", "object name")
    .addOption(nsOption())
    .action(run(async (kind: string, name: string | undefined, o: { namespace?: string }) => print(await logsCommand(client(), kind, name, o))));

  const render = program.command("render").description("render landfall objects as manifests for other systems");
  const presetOption = () => new Option("--preset <name>", "label/annotation conventions").choices(["landfall", "cozystack"]).default("cozystack");
  render
    .command("cozystack")
    .description("a VirtualMachine as Cozystack's VMInstance (+ VMDisk), or as a vm-instance HelmRelease")
    .argument("<vm>", "VirtualMachine name")
    .addOption(nsOption())
    .addOption(new Option("--format <format>", "vminstance | helmrelease").choices(["vminstance", "helmrelease"]).default("vminstance"))
    .addOption(new Option("-o, --output <format>", "yaml | json").choices(["yaml", "json"]).default("yaml"))
    .addOption(presetOption())
    .option("--plan <name>", "plan recorded in the adoption labels (default: the VM's original-plan label, else manual)")
    .action(
      run(async (vm: string, o: { namespace?: string; format?: string; output?: string; preset?: string; plan?: string }) =>
        print(await renderCozystackCommand(client(), vm, o)),
      ),
    );
  render
    .command("forklift")
    .description("a VMImport as Forklift Provider, NetworkMap, StorageMap, Plan and Migration")
    .argument("<vmimport>", "VMImport name")
    .addOption(nsOption())
    .addOption(new Option("-o, --output <format>", "yaml | json").choices(["yaml", "json"]).default("yaml"))
    .addOption(presetOption())
    .action(run(async (name: string, o: { namespace?: string; output?: string; preset?: string }) => print(await renderForkliftCommand(client(), name, o))));

  program
    .command("crds")
    .description("print the CustomResourceDefinitions for landfall's kinds (kubectl apply -f -)")
    .addOption(new Option("-o, --output <format>", "yaml | json").choices(["yaml", "json"]).default("yaml"))
    .action(run(async (o: { output?: string }) => process.stdout.write(crdsCommand(o))));

  const token = program.command("token").description("manage API tokens (admins only)");
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  token
    .command("create")
    .description("create a token (printed once; only its digest is stored)")
    .requiredOption("--role <role>", "viewer (reads) | editor (reads, writes in its namespaces) | admin (everything)")
    .option("--namespace <ns>", "limit the token to this namespace (repeat for more; default: every namespace)", collect)
    .option("--ttl <duration>", "expire after this long, e.g. 720h (default: never)")
    .option("--name <name>", "a name to recognise the token by")
    .action(run(async (o: { role: string; name?: string; namespace?: string[]; ttl?: string }) => out(await tokenCreateCommand(client(), o))));
  token
    .command("list")
    .description("list tokens: IDs, names, roles, namespaces, expiry, creation (never the tokens)")
    .addOption(new Option("-o, --output <format>", "table | json").choices(["table", "json"]).default("table"))
    .action(run(async (o: { output: string }) => process.stdout.write(await tokenListCommand(client(), o))));
  token
    .command("revoke")
    .description("revoke a token by ID (its dashboard sessions end too)")
    .argument("<id>", "token ID, from 'landfall token list'")
    .action(run(async (id: string) => out(await tokenRevokeCommand(client(), id))));

  program
    .command("whoami")
    .description("show the identity, role and namespaces of the token in use")
    .action(run(async () => out(await whoamiCommand(client()))));

  program
    .command("audit")
    .description("print the audit log of mutating calls (admins only)")
    .option("--since <duration>", "only entries from the last DURATION, e.g. 1h or 30m")
    .addOption(new Option("-o, --output <format>", "table | json").choices(["table", "json"]).default("table"))
    .action(run(async (o: { since?: string; output: string }) => process.stdout.write(await auditCommand(client(), o))));

  program
    .command("version")
    .description("print client and server versions")
    .action(
      run(async () => {
        out(`client: ${version}`);
        const c = client();
        try {
          const v = await c.request<{ version: string }>("GET", "/version");
          out(`server: ${v.version} (${c.server})`);
        } catch (err) {
          out(`server: unreachable (${(err as Error).message})`);
        }
      }),
    );
  return program;
}

const program = buildProgram(await readPackageVersion());
await program.parseAsync(process.argv);
