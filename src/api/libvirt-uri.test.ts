import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateObject } from "./validate.ts";
import { ApiError } from "./errors.ts";
import { libvirtURIProblem } from "./libvirt-uri.ts";

describe("libvirtURIProblem", () => {
  it("accepts the local drivers, SSH/TLS remotes with authentication parameters, and the test driver", () => {
    for (const ok of [
      "qemu:///system",
      "qemu:///session",
      "test:///default",
      "qemu+ssh://root@kvm1.example/system",
      "qemu+ssh://kvm1:2222/system?keyfile=/root/.ssh/id_ed25519&known_hosts=/root/.ssh/known_hosts&no_tty=1",
      "qemu+ssh://admin@10.0.0.5/session?sshauth=privkey,agent;known_hosts_verify=normal",
      "qemu+tls://kvm1.example/system?pkipath=/etc/pki/landfall&no_verify=0&tls_priority=NORMAL",
      "qemu+tls://[fd00::1]:16514/system?name=qemu:///system",
    ]) {
      assert.equal(libvirtURIProblem(ok), undefined, ok);
    }
  });

  it("refuses transports and parameters that run or reach something else", () => {
    for (const [bad, why] of [
      ["qemu+ext:///system?command=/bin/sh", /scheme/],
      ["qemu+ssh://host/system?command=/tmp/x", /parameter "command"/],
      ["qemu+ssh://host/system?socket=/run/evil.sock", /parameter "socket"/],
      ["qemu+ssh://host/system?netcat=/tmp/nc", /parameter "netcat"/],
      ["qemu+ssh://host/system?proxy=native", /parameter "proxy"/],
      ["qemu+ssh://host/system?mode=legacy", /parameter "mode"/],
      ["qemu+ssh://host/system?no_verify=1;command=/tmp/x", /parameter "command"/],
      ["qemu+ssh://host/system?comm%61nd=/tmp/x", /parameter "command"/],
      ["qemu+ssh://host/system?COMMAND=/tmp/x", /parameter "command"/],
      ["qemu+ssh://host/system?%zz=1", /percent-encoded/],
      ["qemu+ssh://host/system?name=qemu%2Bext:///system", /name=/],
      ["qemu+unix:///system?socket=/tmp/s", /scheme/],
      ["qemu+tcp://host/system", /scheme/],
      ["qemu+libssh2://host/system", /scheme/],
      ["qemu:///embed?root=/tmp/x", /driver path/],
      ["qemu:///system?socket=/tmp/s", /takes none/],
      ["qemu://host/system", /without a transport/],
      ["qemu+ssh://-oProxyCommand=x/system", /host/],
      ["qemu+ssh:///system", /host ""/],
      ["qemu+tls://user@host/system", /user/],
      ["test:///default?x=1", /test:\/\/\/default/],
      ["xen:///system", /scheme/],
      ["qemu:///system#frag", /fragment/],
    ] as const) {
      const problem = libvirtURIProblem(bad);
      assert.ok(problem, `${bad} must be refused`);
      assert.match(problem, why, bad);
      assert.match(problem, /allowed: qemu:\/\/\/system/, "the message says what is allowed");
    }
  });
});

describe("Provider validation", () => {
  const provider = (uri: string, type = "libvirt") => ({ apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name: "kvm" }, spec: { type, uri } });

  it("answers 422 Invalid naming spec.uri for a qemu+ext URI", () => {
    assert.throws(
      () => validateObject(provider("qemu+ext:///system?command=/usr/bin/id") as never),
      (err: unknown) => {
        assert.ok(err instanceof ApiError);
        assert.equal(err.code, 422);
        assert.equal(err.reason, "Invalid");
        const causes = err.details?.causes ?? [];
        assert.equal(causes[0]?.field, "spec.uri");
        assert.match(causes[0]?.message ?? "", /qemu\+ext/);
        return true;
      },
    );
  });

  it("accepts an allowed URI and leaves other provider types' spec.uri alone", () => {
    validateObject(provider("qemu+ssh://root@kvm1/system?keyfile=/root/.ssh/id") as never);
    validateObject({ ...provider("anything"), spec: { type: "vsphere", endpoint: "https://vc/sdk", uri: "whatever" } } as never);
  });
});
