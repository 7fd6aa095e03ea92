// The signed-in session, kept outside React so that the API client, the upload queue and the
// UI all see the same token, and a 401 anywhere signs the user out with one clear message.
import type { User } from "./types";

export type Session = { token: string; user: User };

const STORAGE_KEY = "hemosight.session";
export const EXPIRED_MESSAGE = "Your session has expired; sign in again.";

type Listener = () => void;
const listeners = new Set<Listener>();

function load(): Session | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

let current: Session | null = load();
let endedMessage: string | null = null;

function emit(): void {
  for (const listener of listeners) listener();
}

export const session = {
  get(): Session | null {
    return current;
  },
  token(): string | null {
    return current?.token ?? null;
  },
  /** Why the last session ended without the user signing out (shown on the sign-in page). */
  endedMessage(): string | null {
    return endedMessage;
  },
  start(next: Session): void {
    current = next;
    endedMessage = null;
    localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    emit();
  },
  updateUser(user: User): void {
    if (!current) return;
    current = { ...current, user };
    localStorage.setItem(STORAGE_KEY, JSON.stringify(current));
    emit();
  },
  end(message: string | null = null): void {
    if (!current && message === endedMessage) return;
    current = null;
    endedMessage = message;
    localStorage.removeItem(STORAGE_KEY);
    emit();
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
