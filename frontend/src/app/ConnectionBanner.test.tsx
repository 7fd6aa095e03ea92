import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { admin, project } from "../test/factories";
import { fakeBackend, signedIn } from "../test/fakeBackend";
import { renderApp } from "../test/renderApp";

describe("a server outage", () => {
  it("shows a calm banner while the server is away, and the page recovers by itself when it is back", async () => {
    const api = fakeBackend();
    let up = false;
    const unlessDown = (answer: () => unknown) => () => {
      if (!up) throw new TypeError("Failed to fetch");
      return answer();
    };
    api.on("GET", "/auth/me", () => admin);
    api.on(
      "GET",
      "/healthz",
      unlessDown(() => ({ status: "ok" })),
    );
    api.on(
      "GET",
      "/projects",
      unlessDown(() => [project()]),
    );
    signedIn();
    renderApp("/projects");

    const banner = await screen.findByTestId("server-banner");
    expect(banner).toHaveTextContent("Server unreachable — retrying");
    expect(banner).toHaveTextContent(/queued uploads wait and resume/);

    up = true;
    // The next check (after a 1 s pause) finds the server; the banner goes and the list loads without a click.
    expect(await screen.findByRole("link", { name: "Case 7" }, { timeout: 6000 })).toBeInTheDocument();
    expect(screen.queryByTestId("server-banner")).not.toBeInTheDocument();
    expect(api.calls.filter((call) => call.path === "/api/v1/healthz").length).toBeGreaterThanOrEqual(2);
  });
});
