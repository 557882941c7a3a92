// Shape of the adoption preview (POST …/providers/{name}/adopt?dryRun=All), restated from
// src/controllers/adoption/preview.ts (a TypeScript interface, not a schema, so not generated).
export interface AdoptionPreview {
  kind: "AdoptionPreview";
  vm: { name: string; uuid: string };
  decision: "adopt" | "already-adopted" | "ignore";
  reason: string;
  plan?: string;
  labels: Record<string, string | null>;
  trackingRecord?: { metadata: { name: string; namespace?: string }; data?: Record<string, string> };
  virtualMachine?: { metadata: { name: string; namespace?: string }; spec: Record<string, unknown> };
  cozystack?: { objects: Array<{ apiVersion: string; kind: string; metadata: { name: string } }>; warnings: string[] } | { error: string };
}
