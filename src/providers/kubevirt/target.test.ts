// The KubeVirt target against the test Kubernetes API server (VirtualMachines and DataVolumes validated strictly
// against KubeVirt's and CDI's published OpenAPI) and landfall's image server: what the cluster receives, and
// that the import URL of a DataVolume serves exactly the image whose sha256 it carries.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Agent, fetch } from "undici";
import { type KubeApiServer, startKubeApiServer } from "../../../test/harness/kube-apiserver/server.ts";
import { selfSignedCert } from "../../../test/harness/tls-cert.ts";
import type { KubeObject } from "../../api/meta.ts";
import { kubeConfigFor } from "../../store/kubernetes/kubeconfig.ts";
import type { TargetProvider, TargetVMSpec } from "../contract.ts";
import { type ImageServer, startImageServer } from "./image-server.ts";
import { createKubeVirtTarget } from "./target.ts";

const NS = "tenant-a";
const MiB = 2 ** 20;

describe("KubeVirt target provider (test API server, published schemas)", () => {
  let api: KubeApiServer;
  let images: ImageServer;
  let agent: Agent;
  let dir: string;
  let target: TargetProvider;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "landfall-kubevirt-"));
    const tls = await selfSignedCert(dir);
    [api, images] = await Promise.all([startKubeApiServer(), startImageServer({ host: "127.0.0.1", port: 0, ...tls })]);
    agent = new Agent({ connect: { ca: tls.cert } });
    target = createKubeVirtTarget({
      kubeConfig: kubeConfigFor({ server: api.url, token: api.token }),
      conventions: { prefix: "cozystack.io" },
      namespace: NS,
      storageClass: "replicated",
      imports: {
        imageServer: async () => images,
        certConfigMap: "landfall-ca",
        fileSha256: async (path) => createHash("sha256").update(await readFile(path)).digest("hex"),
        imageSha256: async (path) => `sha256:${createHash("sha256").update(await readFile(path)).digest("hex")}`,
        virtualSize: async () => 8 * MiB,
      },
    });
  });
  after(async () => {
    await target?.close();
    await Promise.all([api?.close(), images?.close(), agent?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  const dv = (name: string) => api.objects.get(api.type("cdi.kubevirt.io", "DataVolume"), NS, name) as KubeObject & { spec: { source: { http: { url: string; checksum: string; certConfigMap: string } }; storage: unknown } };

  test("importDisk creates a DataVolume whose HTTPS source serves exactly the image, with the sha256 CDI verifies", async () => {
    const file = join(dir, "web01-disk0.qcow2");
    const bytes = randomBytes(2 * MiB + 3);
    await writeFile(file, bytes);
    const volume = await target.importDisk({ diskID: "web01-disk0", sourcePath: file, sourceFormat: "qcow2", format: "raw", sizeBytes: 16 * MiB });
    assert.deepEqual(volume, { diskID: "web01-disk0", path: "web01-disk0", format: "raw", virtualSizeBytes: 16 * MiB });
    const created = dv("web01-disk0");
    assert.equal(created.spec.source.http.certConfigMap, "landfall-ca");
    assert.equal(created.metadata.annotations?.["cozystack.io/imported-disk-id"], "web01-disk0", "provenance under the preset's prefix");
    assert.deepEqual(created.spec.storage, { resources: { requests: { storage: String(16 * MiB) } }, storageClassName: "replicated" });
    const served = Buffer.from(await (await fetch(created.spec.source.http.url, { dispatcher: agent })).arrayBuffer());
    assert.ok(served.equals(bytes), "the import URL serves the image's bytes");
    assert.equal(created.spec.source.http.checksum, `sha256:${createHash("sha256").update(served).digest("hex")}`);
    assert.deepEqual(await target.importDisk({ diskID: "web01-disk0", sourcePath: file, sourceFormat: "qcow2", format: "raw", sizeBytes: 16 * MiB }), volume, "importing the same bytes again is the same import (a crash after create)");
    await writeFile(file, randomBytes(MiB));
    await assert.rejects(target.importDisk({ diskID: "web01-disk0", sourcePath: file, sourceFormat: "qcow2", format: "raw" }), { code: "AlreadyExists" }, "other bytes under that name are not ours");
  });

  const spec: TargetVMSpec = {
    name: "web01",
    uuid: "4210a1b2-0000-4000-8000-000000000001",
    cpus: 2,
    memoryMiB: 1024,
    firmware: "bios",
    disks: [{ path: "web01-disk0", format: "raw", bus: "sata" }],
    nics: [
      { network: "user", model: "virtio", macAddress: "00:50:56:aa:bb:01" },
      { network: "tenant-a/backend", model: "e1000e", macAddress: "00:50:56:aa:bb:02" },
    ],
    labels: { app: "web" },
  };

  test("createVM, getVM and listVMs round-trip what the VM is; power is the runStrategy; labels merge and remove", async () => {
    const vm = await target.createVM(spec);
    assert.equal(vm.state, "shutoff", "created halted");
    const read = await target.getVM({ uuid: vm.uuid });
    assert.deepEqual(
      { cpus: read?.cpus, memoryMiB: read?.memoryMiB, firmware: read?.firmware, disks: read?.disks, nics: read?.nics, labels: read?.labels },
      { cpus: 2, memoryMiB: 1024, firmware: "bios", disks: [{ path: "web01-disk0", format: "raw", bus: "sata" }], nics: spec.nics, labels: { app: "web" } },
    );
    assert.deepEqual((await target.listVMs()).map((v) => v.uuid), [vm.uuid]);
    const vms = api.type("kubevirt.io", "VirtualMachine");
    await target.setPower(vm.uuid, "start");
    assert.equal((api.objects.get(vms, NS, "web01").spec as { runStrategy: string }).runStrategy, "Always");
    assert.equal((await target.getVM({ name: "web01" }))?.state, "running");
    await target.setPower(vm.uuid, "stop");
    assert.equal((api.objects.get(vms, NS, "web01").spec as { runStrategy: string }).runStrategy, "Halted");
    await assert.rejects(target.setPower(vm.uuid, "reboot"), /virtctl restart/);
    await target.setLabels(vm.uuid, { "landfall.dev/adopted": "true", app: null });
    assert.deepEqual((await target.getVM({ uuid: vm.uuid }))?.labels, { "landfall.dev/adopted": "true" });
    await target.setResources(vm.uuid, { cpus: 4, memoryMiB: 2048 });
    const resized = await target.getVM({ uuid: vm.uuid });
    assert.equal(resized?.cpus, 4);
    assert.equal(resized?.memoryMiB, 2048);
  });

  test("deleteVM keeps the DataVolumes unless told otherwise", async () => {
    const vm = (await target.getVM({ name: "web01" })) as { uuid: string };
    await target.deleteVM(vm.uuid, { keepDisks: true });
    assert.equal(await target.getVM({ uuid: vm.uuid }), undefined);
    assert.ok(dv("web01-disk0"), "the disk stays");
    const again = await target.createVM({ ...spec, name: "web02" });
    await target.deleteVM(again.uuid, { keepDisks: false });
    assert.throws(() => dv("web01-disk0"), /not found/);
  });

  test("check reports Ready against a reachable API, InvalidCredentials with a wrong token, TLSVerificationFailed with an untrusted certificate", async () => {
    assert.equal((await target.check()).reason, "Connected");
    const stranger = createKubeVirtTarget({
      kubeConfig: kubeConfigFor({ server: api.url, token: "wrong" }),
      conventions: { prefix: "landfall.dev" },
      namespace: NS,
    });
    const health = await stranger.check();
    assert.deepEqual([health.ready, health.reason], [false, "InvalidCredentials"]);
    // An HTTPS server whose certificate the kubeconfig does not trust (the image server's self-signed one).
    const untrusted = createKubeVirtTarget({ kubeConfig: kubeConfigFor({ server: images.url, token: api.token }), conventions: { prefix: "landfall.dev" }, namespace: NS });
    const tls = await untrusted.check();
    assert.deepEqual([tls.ready, tls.reason], [false, "TLSVerificationFailed"], tls.message);
  });
});
