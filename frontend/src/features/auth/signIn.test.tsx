import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { admin, project } from "../../test/factories";
import { fakeBackend, json, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

describe("sign in and session", () => {
  it("sends visitors to the sign-in page and signs them in with a form post", async () => {
    const api = fakeBackend();
    api.on("POST", "/auth/login", () => ({ access_token: "abc", token_type: "bearer", user: admin }));
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects", () => [project()]);
    renderApp("/projects");

    await userEvent.type(await screen.findByLabelText("Username"), "ada");
    await userEvent.type(screen.getByLabelText("Password"), "correct horse");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByRole("link", { name: "Case 7" })).toBeInTheDocument();
    const login = api.calls.find((call) => call.path === "/api/v1/auth/login");
    expect(new URLSearchParams(login?.body)).toEqual(
      new URLSearchParams("username=ada&password=correct+horse&scope="),
    );
  });

  it("shows the backend's words when sign-in fails", async () => {
    const api = fakeBackend();
    api.on("POST", "/auth/login", () => json({ detail: "Wrong username or password." }, 401));
    renderApp("/login");
    await userEvent.type(screen.getByLabelText("Username"), "ada");
    await userEvent.type(screen.getByLabelText("Password"), "nope");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong username or password.");
  });

  it("returns to the sign-in page with a clear message when the session expires", async () => {
    const api = fakeBackend();
    const expired = () => json({ detail: "Your session has expired; sign in again." }, 401);
    api.on("GET", "/auth/me", expired);
    api.on("GET", "/projects", expired);
    signedIn();
    renderApp("/projects");
    expect(await screen.findByRole("button", { name: "Sign in" })).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("Your session has expired; sign in again.");
  });
});
