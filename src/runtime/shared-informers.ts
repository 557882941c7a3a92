// One informer per kind for a whole process, shared by every controller that reads that kind, so the
// VMMigration and VirtualMachine controllers hold one cache of VirtualMachines, not two. Whoever creates the
// SharedInformers stops it, after stopping the controllers that use it.
import type { ResourceStore } from "../store/types.ts";
import type { Clock } from "./clock.ts";
import { Informer } from "./informer.ts";
import type { Logger } from "./logger.ts";

export interface SharedInformersOptions {
  store: ResourceStore;
  resyncMs?: number;
  logger?: Logger;
  clock?: Clock;
}

export class SharedInformers {
  readonly #opts: SharedInformersOptions;
  readonly #informers = new Map<string, Informer>();

  constructor(opts: SharedInformersOptions) {
    this.#opts = opts;
  }

  /**
   * The process-wide informer of kind (all namespaces), created on first use. A metadata-only informer is a
   * cache of its own: it is never handed to a caller that wants whole objects, nor the other way round.
   */
  informerFor(kind: string, opts: { metadataOnly?: boolean } = {}): Informer {
    const metadataOnly = opts.metadataOnly === true;
    const name = metadataOnly ? `${kind} (metadata)` : kind;
    let informer = this.#informers.get(name);
    if (!informer) {
      informer = new Informer({ ...this.#opts, kind, metadataOnly });
      this.#informers.set(name, informer);
    }
    return informer;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((i) => i.stop()));
  }
}
