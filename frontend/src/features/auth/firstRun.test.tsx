import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { admin, project } from "../../test/factories";
import { fakeBackend, json } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

describe("first run", () => {
  it("offers to create the first administrator on the server's machine and signs them in", async () => {
    const api = fakeBackend();
    api.on("GET", "/setup", () => ({ needs_setup: true, local: true }));
    api.on("POST", "/setup", () => json({ access_token: "new", token_type: "bearer", user: admin }, 201));
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects", () => [project()]);
    renderApp("/projects");

    expect(
      await screen.findByRole("heading", { name: "Create the first administrator" }),
    ).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Username"), "ada");
    await userEvent.type(screen.getByLabelText("Password"), "correct horse");
    await userEvent.type(screen.getByLabelText("Repeat the password"), "correct horse");
    await userEvent.click(screen.getByRole("button", { name: "Create administrator and sign in" }));

    expect(await screen.findByRole("link", { name: "Case 7" })).toBeInTheDocument();
    const setup = api.calls.find((call) => call.method === "POST" && call.path === "/api/v1/setup");
    expect(JSON.parse(setup?.body ?? "{}")).toEqual({ username: "ada", password: "correct horse" });
  });

  it("refuses two different passwords before asking the server", async () => {
    const api = fakeBackend();
    api.on("GET", "/setup", () => ({ needs_setup: true, local: true }));
    renderApp("/login");
    await screen.findByRole("heading", { name: "Create the first administrator" });
    await userEvent.type(screen.getByLabelText("Username"), "ada");
    await userEvent.type(screen.getByLabelText("Password"), "one password");
    await userEvent.type(screen.getByLabelText("Repeat the password"), "another one");
    await userEvent.click(screen.getByRole("button", { name: "Create administrator and sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The two passwords differ");
    expect(api.calls.some((call) => call.method === "POST")).toBe(false);
  });

  it("shows the server's words when set-up is refused", async () => {
    const api = fakeBackend();
    api.on("GET", "/setup", () => ({ needs_setup: true, local: true }));
    api.on("POST", "/setup", () => json({ detail: "An account already exists; sign in instead." }, 409));
    renderApp("/login");
    await screen.findByRole("heading", { name: "Create the first administrator" });
    await userEvent.type(screen.getByLabelText("Username"), "ada");
    await userEvent.type(screen.getByLabelText("Password"), "pw12345678");
    await userEvent.type(screen.getByLabelText("Repeat the password"), "pw12345678");
    await userEvent.click(screen.getByRole("button", { name: "Create administrator and sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("An account already exists; sign in instead.");
  });

  it("tells a remote visitor to run create-admin on the server, and keeps the sign-in form", async () => {
    const api = fakeBackend();
    api.on("GET", "/setup", () => ({ needs_setup: true, local: false }));
    renderApp("/login");
    expect(await screen.findByRole("status")).toHaveTextContent("hemosight create-admin");
    expect(screen.getByRole("button", { name: "Sign in" })).toBeInTheDocument();
    expect(screen.queryByLabelText("Repeat the password")).not.toBeInTheDocument();
  });
});
