import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { admin, user } from "../../test/factories";
import { fakeBackend, json, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

describe("accounts", () => {
  it("lets an admin create an account with a role", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/users", () => [admin]);
    api.on("POST", "/users", async (request) =>
      json({ id: "u2", ...(await request.json()), password: undefined }, 201),
    );
    signedIn();
    renderApp("/admin/accounts");
    await userEvent.type(await screen.findByLabelText("Username"), "bob");
    await userEvent.type(screen.getByLabelText("Password"), "long enough");
    await userEvent.selectOptions(screen.getByLabelText("Role"), "reviewer");
    await userEvent.click(screen.getByRole("button", { name: "Create" }));
    expect(await screen.findByText("Account bob created.")).toBeInTheDocument();
    const post = api.calls.find((call) => call.method === "POST");
    expect(JSON.parse(post?.body ?? "{}")).toEqual({
      username: "bob",
      password: "long enough",
      role: "reviewer",
    });
  });

  it("keeps the accounts page for admins", async () => {
    const api = fakeBackend();
    const pathologist = user({ role: "pathologist" });
    api.on("GET", "/auth/me", () => pathologist);
    signedIn(pathologist);
    renderApp("/admin/accounts");
    expect(await screen.findByRole("alert")).toHaveTextContent("This page is for admins only.");
  });
});
