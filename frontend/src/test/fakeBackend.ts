// A tiny in-memory stand-in for the REST API, answering the app's fetch() calls in component tests.
import { vi } from "vitest";
import { session } from "../shared/api/session";

export type Handler = (
  request: Request,
  match: RegExpMatchArray,
) => unknown | Response | Promise<unknown | Response>;
type Route = { method: string; pattern: RegExp; handler: Handler };

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** The project most tests open: "Case 7", owned by the signed-in user. */
export const caseProject = { id: "p1", name: "Case 7", owner_id: "u1", members: [], created_at: "" };

export function fakeBackend() {
  const routes: Route[] = [];
  const calls: { method: string; path: string; body?: string }[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const body = request.method === "GET" ? undefined : await request.clone().text();
    calls.push({ method: request.method, path: url.pathname + url.search, body });
    for (const route of routes) {
      const match = url.pathname.match(route.pattern);
      if (match && route.method === request.method) {
        const answer = await route.handler(request, match);
        return answer instanceof Response ? answer : json(answer);
      }
    }
    return json({ detail: `no fake for ${request.method} ${url.pathname}` }, 404);
  });
  vi.stubGlobal("fetch", fetchMock);
  const on = (method: string, path: string, handler: Handler) => {
    routes.unshift({ method, pattern: new RegExp(`^/api/v1${path}$`), handler });
  };
  return { on, calls, fetchMock };
}

export const admin = {
  id: "u1",
  username: "ada",
  role: "admin" as const,
  created_at: "2026-01-01T00:00:00Z",
};

export function signedIn(
  user: typeof admin | (Omit<typeof admin, "role"> & { role: "pathologist" }) = admin,
) {
  session.start({ token: "t0k3n", user });
}
