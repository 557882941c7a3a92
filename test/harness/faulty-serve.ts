// TEST-ONLY entry point: `node test/harness/faulty-serve.ts --data-dir DIR --listen HOST:PORT` starts the same
// embedded server as `landfall serve`, wired from landfall's production parts wrapped by faulty-wiring.ts with
// the faults described in the JSON file named by $LANDFALL_TEST_FAULTS (written by the test).
import { parseArgs } from "node:util";
import { startEmbedded } from "../../src/compose/embedded.ts";
import { landfallWiringWith, productionParts } from "../../src/compose/landfall.ts";
import { faultyParts, readFaultConfigs } from "./faulty-wiring.ts";

const { values } = parseArgs({
  options: { "data-dir": { type: "string" }, listen: { type: "string", default: "127.0.0.1:0" }, "kube-listen": { type: "string", default: "127.0.0.1:0" } },
});
const configPath = process.env.LANDFALL_TEST_FAULTS;
if (!values["data-dir"] || !configPath) {
  process.stderr.write("usage: LANDFALL_TEST_FAULTS=FILE node faulty-serve.ts --data-dir DIR [--listen HOST:PORT] [--kube-listen HOST:PORT]\n");
  process.exit(2);
}
const faults = await readFaultConfigs(configPath);
const embedded = await startEmbedded({
  dataDir: values["data-dir"],
  listen: values.listen as string,
  kubeListen: values["kube-listen"] as string,
  wire: landfallWiringWith(faults.reduce(faultyParts, productionParts)),
});
process.stdout.write(`landfall serving at ${embedded.url} (test composition, faults ${faults.map((f) => `${f.at} on ${f.vm}`).join(", ")})\n`);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    embedded.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
