// A tiny in-memory stand-in for the REST API, answering the app's fetch() calls in component tests.
import { vi } from "vitest";
import { session } from "../shared/api/session";
import type { User } from "../shared/api/types";
import { admin, capabilities, caseDetails, classNames, member } from "./factories";

export type Handler = (
  request: Request,
  match: RegExpMatchArray,
) => unknown | Response | Promise<unknown | Response>;
type Route = { method: string; pattern: RegExp; handler: Handler };

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

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
  // The review station's resources every case page reads; a test replaces them with api.on(...).
  on("GET", "/class-names", () => classNames);
  on("GET", "/projects/([^/]+)/capabilities", (_request, match) => capabilities({ project_id: match[1] }));
  on("GET", "/projects/([^/]+)/case", (_request, match) => caseDetails({ project_id: match[1] }));
  on("GET", "/projects/([^/]+)/audit", () => []);
  on("GET", "/projects/([^/]+)/members", () => [member("ada", { role: "admin", is_owner: true })]);
  // A bulk label change answers as the API does: one stored label per item, 201.
  on("POST", "/labels/bulk", async (request) => {
    const body = await request.json();
    return json(
      body.items.map((item: { image_id: string }) => ({ image_id: item.image_id, label_set: "cell_type" })),
      201,
    );
  });
  return { on, calls, fetchMock };
}

/** Starts a session as `user` (the admin unless told otherwise), as after signing in. */
export function signedIn(user: User = admin) {
  session.start({ token: "t0k3n", user });
}
