import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError } from "./errors.ts";
import type { KubeObject } from "./meta.ts";
import { validateObject } from "./validate.ts";

const kubevirt = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "Provider",
  metadata: { name: "cluster", namespace: "default" },
  spec: { type: "kubevirt", kubeconfigRef: { name: "cluster-kubeconfig" }, ...spec },
});

describe("Provider spec.diskTransfer (kubevirt)", () => {
  it("accepts import, the transfer whose checksum the cluster verifies", () => {
    validateObject(kubevirt({ diskTransfer: "import" }));
    validateObject(kubevirt({}));
  });

  it("refuses upload with a 422 naming the field: CDI's upload proxy checks no checksum, so nothing would prove the stored bytes", () => {
    assert.throws(
      () => validateObject(kubevirt({ diskTransfer: "upload" })),
      (err: unknown) => err instanceof ApiError && err.code === 422 && (err.details?.causes ?? []).some((c) => c.field === "spec.diskTransfer" && c.message === 'unsupported value "upload"; use "import"'),
    );
  });
});
