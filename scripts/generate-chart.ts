// Writes deploy/helm/landfall from code (src/render/helm-chart.ts), and its crds/ from the schemas, the same
// objects `landfall crds` prints. Run by `make chart`; the chart test fails when the committed templates drift.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { crdsFor } from "../src/api/crds.ts";
import { KINDS } from "../src/api/kinds.ts";
import { chartFiles } from "../src/render/helm-chart.ts";

const chart = fileURLToPath(new URL("../deploy/helm/landfall/", import.meta.url));
const files = { ...chartFiles(), "crds/landfall.crds.yaml": crdsFor(KINDS).map((c) => stringify(c, { lineWidth: 0 })).join("---\n") };
for (const [path, text] of Object.entries(files)) {
  await mkdir(dirname(join(chart, path)), { recursive: true });
  await writeFile(join(chart, path), text);
}
process.stdout.write(`wrote ${Object.keys(files).length} files under ${chart}\n`);
