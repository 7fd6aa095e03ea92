// Whether the HemoSight server answers. A request that fails the way an outage looks (no answer at all, or
// 502/503/504 from a proxy or a server that is starting) makes the app check the server's health, then keep
// checking with a growing pause until it answers again: the app shows a calm banner meanwhile, and whatever
// waited (the upload queue, the pages' data) goes on by itself afterwards.
import { ApiError } from "./errors";

/** HTTP statuses that mean "the server is not there right now" rather than "the request was wrong". */
const OUTAGE_STATUSES = new Set([502, 503, 504]);

/** True for errors an outage causes (worth retrying once the server is back), false for the server's refusals. */
export function isOutage(error: unknown): boolean {
  if (error instanceof ApiError) return OUTAGE_STATUSES.has(error.status);
  return error instanceof TypeError;
}

/** Pause before the n-th retry (1-based): 1 s, 2 s, 4 s, 8 s, then every 15 s. */
export function backoffMs(attempt: number): number {
  return Math.min(15_000, 1000 * 2 ** Math.max(0, attempt - 1));
}

export type ConnectionState = {
  reachable: boolean;
  /** While unreachable: when the next check is due (ms since the epoch). */
  nextCheckAt: number | null;
};

type Sleep = (ms: number) => Promise<void>;
const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks the server's liveness endpoint; any answer but 2xx counts as down. */
export async function probeHealth(): Promise<boolean> {
  try {
    const response = await globalThis.fetch(new URL("/api/v1/healthz", globalThis.location.origin), {
      cache: "no-store",
    });
    return response.ok;
  } catch {
    return false;
  }
}

export class ServerConnection {
  private state: ConnectionState = { reachable: true, nextCheckAt: null };
  private readonly listeners = new Set<() => void>();
  private readonly recoveryListeners = new Set<() => void>();
  private waiters: (() => void)[] = [];
  private checking = false;

  constructor(
    private readonly probe: () => Promise<boolean> = probeHealth,
    private readonly pause: Sleep = sleep,
  ) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ConnectionState => this.state;

  /** Called once the server answers again after being unreachable (e.g. to refetch the pages' data). */
  onRecovered(listener: () => void): () => void {
    this.recoveryListeners.add(listener);
    return () => this.recoveryListeners.delete(listener);
  }

  /** A request failed like an outage: check the server, and keep checking until it answers. */
  suspect(): void {
    if (this.checking) return;
    this.checking = true;
    void this.watch();
  }

  /** Resolves when the server answers: at once when no check is under way. */
  whenReachable(): Promise<void> {
    if (!this.checking && this.state.reachable) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** For a request that failed like an outage the `failures`-th time in a row: pause, then wait for the server. */
  async waitOut(failures: number): Promise<void> {
    this.suspect();
    await this.pause(backoffMs(failures));
    await this.whenReachable();
  }

  private async watch(): Promise<void> {
    for (let attempt = 1; !(await this.probe()); attempt++) {
      const delay = backoffMs(attempt);
      this.set({ reachable: false, nextCheckAt: Date.now() + delay });
      await this.pause(delay);
    }
    const recovered = !this.state.reachable;
    this.checking = false;
    this.set({ reachable: true, nextCheckAt: null });
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
    if (recovered) for (const listener of this.recoveryListeners) listener();
  }

  private set(state: ConnectionState): void {
    this.state = state;
    for (const listener of this.listeners) listener();
  }
}

/** The app's one view of the server. */
export const serverConnection = new ServerConnection();
