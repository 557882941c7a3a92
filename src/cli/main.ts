// The landfall CLI: `serve` runs the control plane; every other command talks to a server over HTTP.
import { Command, Option } from "commander";
import { isApiError } from "../api/errors.ts";
import { parseKindAndName, parseOutput, UsageError } from "./args.ts";
import { LandfallClient } from "./client.ts";
import { applyCommand } from "./commands/apply.ts";
import { deleteCommand } from "./commands/delete.ts";
import { getCommand } from "./commands/get.ts";
import { tokenCreateCommand } from "./commands/token.ts";
import { waitCommand } from "./commands/wait.ts";
import { defaultDataDir, resolveClientConfig } from "./config.ts";
import { describeObject } from "./describe.ts";
import { readPackageVersion } from "./package-version.ts";

const out = (line: string) => process.stdout.write(`${line}\n`);
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
    .action(
      run(async (o: { dataDir: string; listen: string; tlsCert?: string; tlsKey?: string; insecureHttp?: boolean; preset?: string }) => {
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
      run(async (target: string, name: string | undefined, o: { for?: string; timeout?: string; namespace?: string }) => out(await waitCommand(client(), target, name, o))),
    );

  const token = program.command("token").description("manage API tokens");
  token
    .command("create")
    .description("create a token (printed once; only its digest is stored)")
    .requiredOption("--role <role>", "viewer | admin")
    .option("--name <name>", "a name to recognise the token by")
    .action(run(async (o: { role: string; name?: string }) => out(await tokenCreateCommand(client(), o))));

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
