// Shapes of the inventory route (GET …/providers/{name}/vms). They come from the provider contracts, which
// are TypeScript interfaces rather than schemas, so they are restated here (DESIGN.md: Inventory).
export interface TargetInventoryVM {
  uuid: string;
  name: string;
  state: string;
  cpus: number;
  memoryMiB: number;
  firmware: string;
  labels: Record<string, string>;
  consoleLog?: string;
}

export interface SourceInventoryDisk {
  key: number;
  label: string;
  fileName: string;
  capacityBytes: number;
  datastore: string;
  controller: string;
  thinProvisioned?: boolean;
  /** Backing chain, top first (one entry without snapshots). */
  chain?: Array<{ file: string; format: string }>;
  readableBy?: Array<"datastore" | "nfc">;
}

export interface SourceInventoryNIC {
  network: string;
  macAddress: string;
  model: string;
}

export interface SourceInventoryVM {
  name: string;
  id: string;
  uuid?: string;
  powerState: string;
  guestOS?: string;
  cpus: number;
  memoryMiB: number;
  firmware?: string;
  disks?: SourceInventoryDisk[];
  nics?: SourceInventoryNIC[];
  snapshotCount?: number;
}

export type InventoryList = { kind: "TargetVMList"; items: TargetInventoryVM[] } | { kind: "SourceVMList"; items: SourceInventoryVM[] };

export interface RecordedEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source?: string;
}

/** A page of a Provider's inventory (…/vms?limit=&continue=&search=&power=), cut from the server's cached read. */
export interface SourceInventoryPage {
  kind: "SourceVMList";
  metadata: { continue?: string; remainingItemCount?: number; readAt: string };
  items: SourceInventoryVM[];
}
