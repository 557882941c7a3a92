// The vSphere source provider against the vcsim harness: the shared SourceProvider contract, plus the
// trust and credential cases of the Provider Ready condition, and vSphere-specific mapping.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import type { SourceVM } from "../../src/providers/contract.ts";
import { runSourceContract } from "../../src/providers/source.contract.ts";
import { retrieveOne } from "../../src/providers/vsphere/property-collector.ts";
import { VsphereClient } from "../../src/providers/vsphere/soap-client.ts";
import { createTrustedDispatcher } from "../../src/providers/vsphere/tls-trust.ts";
import { asArray, moRef, type XmlNode } from "../../src/providers/vsphere/soap-xml.ts";
import { createVsphereSource, type VsphereSourceOptions } from "../../src/providers/vsphere/source-provider.ts";
import { sha256File, startVcsim, type Vcsim, writeRandomContent } from "../harness/vcsim/harness.ts";

const MiB = 1 << 20;
const PASSWORD = "Pw-7f3c1e2a-not-in-logs";

interface World {
  sim: Vcsim;
  dir: string;
  files: Record<string, string>;
}

let shared: Promise<World> | undefined;

/** One simulator for the whole file (~1 s to start), stopped by the file-level after() hook. */
function world(): Promise<World> {
  shared ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "landfall-vsphere-e2e-"));
    const files = { web0: join(dir, "web0.raw"), web1: join(dir, "web1.raw"), stock: join(dir, "stock.raw"), app: join(dir, "app.raw") };
    await writeRandomContent(files.web0, 4 * MiB);
    await writeRandomContent(files.web1, 2 * MiB);
    await writeRandomContent(files.stock, 1 * MiB);
    await writeRandomContent(files.app, 1 * MiB);
    const sim = await startVcsim({
      password: PASSWORD,
      vms: [
        {
          name: "web01",
          cpus: 2,
          memoryMiB: 512,
          firmware: "uefi",
          guestId: "ubuntu64Guest",
          powerOn: false,
          // The second disk is larger than its content: its tail must read as zeros.
          disks: [{ contentPath: files.web0 }, { contentPath: files.web1, capacityBytes: 3 * MiB }],
          nics: [{ network: "VM Network", mac: "00:50:56:aa:bb:01", model: "vmxnet3" }],
        },
        { name: "DC0_H0_VM0", powerOn: false, disks: [{ contentPath: files.stock }] },
        { name: "app01", powerOn: true, disks: [{ contentPath: files.app }] },
      ],
    });
    return { sim, dir, files };
  })();
  return shared;
}

after(async () => {
  if (!shared) return;
  const w = await shared;
  await w.sim.stop();
  await rm(w.dir, { recursive: true, force: true });
});

function options(sim: Vcsim, overrides: Partial<VsphereSourceOptions> = {}): VsphereSourceOptions {
  return {
    endpoint: sim.url,
    username: sim.username,
    password: sim.password,
    tls: { thumbprint: sim.thumbprint },
    datacenter: sim.datacenter,
    ...overrides,
  };
}

function countTree(nodes: XmlNode): number {
  return asArray(nodes).reduce((n: number, s: XmlNode) => n + 1 + countTree(s.childSnapshotList), 0);
}

runSourceContract("vsphere (vcsim)", async () => {
  const { sim, files } = await world();
  const zeroMiB = createHash("sha256").update(Buffer.alloc(MiB)).digest("hex");
  const admin = new VsphereClient({ endpoint: sim.url, tls: { thumbprint: sim.thumbprint } });
  await admin.login(sim.username, sim.password);
  return {
    provider: createVsphereSource(options(sim)),
    vms: [
      {
        name: "web01",
        disks: [
          { capacityBytes: 4 * MiB, sha256: await sha256File(files.web0), contentPath: files.web0 },
          { capacityBytes: 3 * MiB, sha256: await sha256File(files.web1, 3 * MiB), contentPath: files.web1 },
        ],
      },
      {
        // The stock VM keeps vcsim's 0-byte placeholder disk (reads as 1 MiB of zeros) and gets a real one.
        name: "DC0_H0_VM0",
        disks: [
          { capacityBytes: MiB, sha256: zeroMiB, zeroFilledTailBytes: MiB },
          { capacityBytes: MiB, sha256: await sha256File(files.stock), contentPath: files.stock },
        ],
      },
    ],
    runningVM: { name: "app01", disks: [{ capacityBytes: MiB, sha256: await sha256File(files.app), contentPath: files.app }] },
    missingVMName: "no-such-vm",
    missingVMID: "vm-999999",
    countSnapshots: async (vmID) => {
      const props = await retrieveOne(admin, moRef("VirtualMachine", vmID), ["snapshot"]);
      return countTree(props.snapshot?.rootSnapshotList);
    },
    teardown: () => admin.close(),
  };
});

describe("vSphere provider health and trust", () => {
  let sim: Vcsim;
  const messages: string[] = [];
  before(async () => {
    sim = (await world()).sim;
  });
  after(async () => {
    // Nothing the provider said may contain the password.
    for (const m of messages) assert.ok(!m.includes(PASSWORD), `password leaked in: ${m}`);
    assert.ok(messages.length >= 5, "messages were collected");
  });

  async function health(overrides: Partial<VsphereSourceOptions>) {
    const provider = createVsphereSource(options(sim, overrides));
    try {
      const h = await provider.check();
      messages.push(JSON.stringify(h));
      return h;
    } finally {
      await provider.close();
    }
  }

  test("right thumbprint → Connected, reporting the server's thumbprint", async () => {
    const h = await health({});
    assert.equal(h.reason, "Connected", h.message);
    assert.equal(h.ready, true);
    assert.equal(h.thumbprint, sim.thumbprint);
    assert.deepEqual(h.warnings, []);
  });

  test("thumbprint in lower case without colons is accepted", async () => {
    const h = await health({ tls: { thumbprint: sim.thumbprint.replaceAll(":", "").toLowerCase() } });
    assert.equal(h.reason, "Connected", h.message);
  });

  test("wrong password → InvalidCredentials, and operations fail with that code", async () => {
    const h = await health({ password: `${PASSWORD}-wrong` });
    assert.equal(h.ready, false);
    assert.equal(h.reason, "InvalidCredentials", h.message);
    const provider = createVsphereSource(options(sim, { password: `${PASSWORD}-wrong` }));
    await assert.rejects(provider.listVMs(), (err: Error & { code?: string }) => {
      messages.push(err.message);
      return err.code === "InvalidCredentials";
    });
    await provider.close();
  });

  test("wrong thumbprint → ThumbprintMismatch naming expected and actual", async () => {
    const wrong = Array(32).fill("AB").join(":");
    const h = await health({ tls: { thumbprint: wrong } });
    assert.equal(h.reason, "ThumbprintMismatch", h.message);
    assert.ok(h.message.includes(wrong) && h.message.includes(sim.thumbprint), h.message);
  });

  test("the data path's connections are judged as the control path's: a wrong pin, no pin, the right pin", async () => {
    const url = new URL(sim.url);
    const onread = { buffer: Buffer.alloc(1024), callback: () => true };
    const wrong = Array(32).fill("AB").join(":");
    await assert.rejects(createTrustedDispatcher({ thumbprint: wrong }, { connectMs: 5_000 }).connectOnread(url)(onread), (err: Error & { code?: string }) => err.code === "ThumbprintMismatch");
    await assert.rejects(createTrustedDispatcher({}, { connectMs: 5_000 }).connectOnread(url)(onread), (err: Error & { code?: string }) => err.code === "TLSVerificationFailed");
    const socket = await createTrustedDispatcher({ thumbprint: sim.thumbprint }, { connectMs: 5_000 }).connectOnread(url)(onread);
    socket.destroy();
  });

  test("self-signed certificate without a pin → TLSVerificationFailed", async () => {
    const h = await health({ tls: {} });
    assert.equal(h.reason, "TLSVerificationFailed", h.message);
    assert.ok(h.message.includes(sim.thumbprint), "the message offers the thumbprint to pin");
  });

  test("the server's certificate as caBundle → Connected", async () => {
    const h = await health({ tls: { caBundle: sim.certificatePem } });
    assert.equal(h.reason, "Connected", h.message);
  });

  test("insecureSkipVerify → Connected with an InsecureTLS warning", async () => {
    const h = await health({ tls: { insecureSkipVerify: true } });
    assert.equal(h.reason, "Connected", h.message);
    assert.equal(h.warnings?.[0]?.type, "InsecureTLS");
  });

  test("closed port → Unreachable, quickly", async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const started = Date.now();
    const h = await health({ endpoint: `https://127.0.0.1:${port}/sdk` });
    assert.equal(h.reason, "Unreachable", h.message);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  });
});

describe("vSphere inventory mapping and disk formats", () => {
  let w: World;
  let provider: ReturnType<typeof createVsphereSource>;
  before(async () => {
    w = await world();
    provider = createVsphereSource(options(w.sim));
  });
  after(async () => {
    await provider.close();
  });

  test("web01 maps config, firmware and NIC as created", async () => {
    const vm: SourceVM = await provider.getVM({ name: "web01" });
    assert.equal(vm.cpus, 2);
    assert.equal(vm.memoryMiB, 512);
    assert.equal(vm.firmware, "uefi");
    assert.equal(vm.guestOS, "ubuntu64Guest");
    assert.equal(vm.powerState, "poweredOff");
    assert.deepEqual(vm.nics, [{ network: "VM Network", macAddress: "00:50:56:aa:bb:01", model: "vmxnet3" }]);
    assert.deepEqual(
      vm.disks.map((d) => [d.fileName, d.datastore, d.controller]),
      [
        ["[LocalDS_0] web01/web01_0.vmdk", "LocalDS_0", "scsi"],
        ["[LocalDS_0] web01/web01_1.vmdk", "LocalDS_0", "scsi"],
      ],
    );
  });

  test("a NIC on a distributed portgroup reports the portgroup's name", async () => {
    const vm = await provider.getVM({ name: "DC0_H0_VM0" });
    assert.equal(vm.nics.length, 1);
    assert.equal(vm.nics[0].network, "DC0_DVPG0");
    assert.equal(vm.nics[0].model, "e1000");
  });

  test("sparse VMDKs are read (composed locally); a missing extent or a parent outside the VM's directory fails naming the file", async () => {
    const vm = await provider.getVM({ name: "web01" });
    const session = await provider.prepareExport(vm, { mode: "cold" });
    const vmDir = join(w.sim.datastoreDir, "web01");
    await promisify(execFile)("qemu-img", ["create", "-f", "vmdk", join(vmDir, "sparse.vmdk"), "1M"], { timeout: 30_000 });
    const sparse = await provider.openDisk(session, { ...vm.disks[0], fileName: "[LocalDS_0] web01/sparse.vmdk", capacityBytes: MiB, key: -1 });
    const hash = createHash("sha256");
    for await (const c of sparse.readRange(0, MiB)) hash.update(c);
    await sparse.close();
    assert.equal(hash.digest("hex"), createHash("sha256").update(Buffer.alloc(MiB)).digest("hex"), "an unwritten sparse disk reads as zeros");
    assert.equal(sparse.origin?.chain[0].format, "monolithicSparse");

    await writeFile(
      join(vmDir, "split.vmdk"),
      '# Disk DescriptorFile\nversion=1\nparentCID=ffffffff\ncreateType="twoGbMaxExtentSparse"\nRW 2048 SPARSE "split-s001.vmdk"\n',
    );
    await writeFile(
      join(vmDir, "escape-000001.vmdk"),
      '# Disk DescriptorFile\nversion=1\nparentCID=fffffffe\nparentFileNameHint="../DC0_H0_VM0/DC0_H0_VM0_1.vmdk"\ncreateType="vmfsSparse"\nRW 2048 VMFSSPARSE "escape-000001-delta.vmdk"\n',
    );
    for (const [file, code, names] of [
      ["split.vmdk", "NotFound", "split-s001.vmdk"],
      ["escape-000001.vmdk", "NotSupported", "../DC0_H0_VM0/DC0_H0_VM0_1.vmdk"],
    ]) {
      const disk = { ...vm.disks[0], fileName: `[LocalDS_0] web01/${file}`, capacityBytes: MiB, key: -1 };
      await assert.rejects(provider.openDisk(session, disk), (err: Error & { code?: string }) => {
        assert.equal(err.code, code, err.message);
        assert.ok(err.message.includes(names), err.message);
        return true;
      });
    }
    await provider.finishExport(session, { restorePower: false });
  });
});
