import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { admin, project } from "../../test/factories";
import { fakeBackend, json, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

describe("projects", () => {
  it("creates a project and opens it", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects", () => []);
    api.on("POST", "/projects", () => json(project(), 201));
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/projects/p1/images", () => []);
    signedIn();
    renderApp("/projects");
    await userEvent.type(await screen.findByLabelText(/New project/), "Case 7");
    await userEvent.click(screen.getByRole("button", { name: "Create project" }));
    expect(await screen.findByRole("heading", { name: "Case 7" })).toBeInTheDocument();
    expect(screen.getByText(/No cells in this project yet/)).toBeInTheDocument();
  });

  it("asks before deleting a project", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects", () => [project()]);
    api.on("DELETE", "/projects/p1", () => new Response(null, { status: 204 }));
    signedIn();
    renderApp("/projects");
    await userEvent.click(await screen.findByRole("button", { name: "Delete Case 7" }));
    const dialog = screen.getByRole("dialog", { name: "Delete project?" });
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete project" }));
    await waitFor(() => expect(api.calls.some((call) => call.method === "DELETE")).toBe(true));
  });
});
