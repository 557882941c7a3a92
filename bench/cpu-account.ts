// Where a run's CPU went (bench code): the whole machine's busy time from /proc/stat beside named processes'
// own and reaped children's CPU from /proc/<pid>/stat. On a machine of N cores a run that keeps them busy for B
// CPU-seconds takes at least B ÷ N seconds, whatever overlaps: the floor a throughput goal is measured against.
import { readdir, readFile } from "node:fs/promises";

/** Linux's USER_HZ: /proc reports CPU time in these ticks (100 on every architecture Node runs on). */
const TICKS_PER_SECOND = 100;

export interface ProcessCpu {
  /** The process's own CPU (all its threads), seconds. */
  self: number;
  /** CPU of its children that exited and were waited for (their own children's included), seconds. */
  children: number;
}

/** A /proc `stat` line's name and CPU times, seconds: its own (utime + stime) and its reaped children's. */
function statTimes(stat: string): { name: string } & ProcessCpu {
  // Fields after the name (which may hold spaces) start at the last ")": state is field 3, utime 14.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  const at = (field: number) => f[field - 3]!;
  return { name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), self: (at(14) + at(15)) / TICKS_PER_SECOND, children: (at(16) + at(17)) / TICKS_PER_SECOND };
}

export async function processCpu(pid: number): Promise<ProcessCpu> {
  const { self, children } = statTimes(await readFile(`/proc/${pid}/stat`, "utf8"));
  return { self, children };
}

/** CPU-seconds the whole machine spent busy (every core; idle and I/O wait excluded) since boot. */
export async function machineBusy(): Promise<number> {
  const [cpu] = (await readFile("/proc/stat", "utf8")).split("\n");
  const [user, nice, system, , , irq, softirq, steal] = cpu!.split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / TICKS_PER_SECOND;
}

export interface CpuSpent {
  /** Busy CPU-seconds of the whole machine. */
  machine: number;
  /** Each named process's. */
  processes: Record<string, ProcessCpu>;
}

/** Starts counting; the returned function gives the CPU-seconds spent since, by the machine and each named pid. */
export async function cpuSince(pids: Record<string, number>): Promise<() => Promise<CpuSpent>> {
  const machine0 = await machineBusy();
  const before = new Map(await Promise.all(Object.entries(pids).map(async ([name, pid]) => [name, await processCpu(pid)] as const)));
  return async () => {
    const processes: Record<string, ProcessCpu> = {};
    for (const [name, pid] of Object.entries(pids)) {
      const now = await processCpu(pid);
      const was = before.get(name)!;
      processes[name] = { self: now.self - was.self, children: now.children - was.children };
    }
    return { machine: (await machineBusy()) - machine0, processes };
  };
}

/**
 * A process's CPU by thread name (MainThread, WorkerThread, libuv-worker, V8Worker…), from the last sample of each
 * thread: sample() while the run lasts, so threads that exit before its end (the sha256 worker) are counted.
 */
export class ThreadCpu {
  readonly #pid: number;
  readonly #start = new Map<string, number>();
  readonly #last = new Map<string, { name: string; cpu: number }>();

  private constructor(pid: number) {
    this.#pid = pid;
  }

  static async start(pid: number): Promise<ThreadCpu> {
    const t = new ThreadCpu(pid);
    for (const [tid, s] of await t.#read()) t.#start.set(tid, s.cpu);
    return t;
  }

  async sample(): Promise<void> {
    for (const [tid, s] of await this.#read()) this.#last.set(tid, s);
  }

  /** CPU-seconds per thread name since start(), highest first. */
  byName(): Array<[string, number]> {
    const by = new Map<string, number>();
    for (const [tid, s] of this.#last) by.set(s.name, (by.get(s.name) ?? 0) + s.cpu - (this.#start.get(tid) ?? 0));
    return [...by].sort((a, b) => b[1] - a[1]);
  }

  async #read(): Promise<Map<string, { name: string; cpu: number }>> {
    const threads = new Map<string, { name: string; cpu: number }>();
    for (const tid of await readdir(`/proc/${this.#pid}/task`).catch(() => [])) {
      const stat = await readFile(`/proc/${this.#pid}/task/${tid}/stat`, "utf8").catch(() => undefined);
      if (!stat) continue; // exited between the listing and the read
      const { name, self } = statTimes(stat);
      threads.set(tid, { name, cpu: self });
    }
    return threads;
  }
}
