import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import {
  admin,
  capabilities,
  cellResult,
  imageDetail,
  imageSummary,
  labelSet,
  member,
  project,
  reviewerCapabilities,
  user,
} from "../../test/factories";
import { fakeBackend, json, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

const reviewer = user({ id: "u2", username: "rita", role: "reviewer" });

describe("members and capabilities", () => {
  it("lists, adds and removes members, and says why an addition was refused", async () => {
    const api = fakeBackend();
    let members = [member("ada", { role: "admin", is_owner: true }), member("rita")];
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/projects/p1/images", () => []);
    api.on("GET", "/projects/p1/members", () => members);
    api.on("POST", "/projects/p1/members", async (request) => {
      const { username } = await request.json();
      if (username === "nobody") return json({ detail: "No account named 'nobody'." }, 400);
      members = [...members, member(username, { role: "pathologist" })];
      return json(members, 201);
    });
    api.on("DELETE", "/projects/p1/members/rita", () => {
      members = members.filter((item) => item.username !== "rita");
      return new Response(null, { status: 204 });
    });
    signedIn();
    renderApp("/projects/p1/cells");
    const section = await screen.findByRole("region", { name: "Members" });
    const list = within(section).getByTestId("members");
    await within(list).findByText("rita");
    expect(within(list).queryByRole("button", { name: "Remove ada" })).not.toBeInTheDocument();
    expect(within(list).getByText("owner")).toBeInTheDocument();

    await userEvent.type(within(section).getByLabelText("Username to add"), "nobody");
    await userEvent.click(within(section).getByRole("button", { name: "Add member" }));
    expect(await within(section).findByRole("alert")).toHaveTextContent("No account named 'nobody'.");

    const field = within(section).getByLabelText("Username to add");
    await userEvent.clear(field);
    await userEvent.type(field, "paul");
    await userEvent.click(within(section).getByRole("button", { name: "Add member" }));
    expect(await within(list).findByText("paul")).toBeInTheDocument();

    await userEvent.click(within(list).getByRole("button", { name: "Remove rita" }));
    await waitFor(() => expect(within(list).queryByText("rita")).not.toBeInTheDocument());
    expect(
      api.calls.some((call) => call.method === "DELETE" && call.path === "/api/v1/projects/p1/members/rita"),
    ).toBe(true);
  });

  it("shows a reviewer no upload, re-score, members, sign-off or bulk confirm in the case view", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => reviewer);
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/projects/p1/capabilities", () => reviewerCapabilities());
    api.on("GET", "/projects/p1/images", () => [
      imageSummary("a", { label: "neutrophil" }),
      imageSummary("b", { label: "lymphocyte", unusable: "blurred" }),
    ]);
    api.on("GET", "/label-sets", () => [labelSet("cell_type")]);
    api.on("GET", "/label-sets/cell_type", () => labelSet("cell_type"));
    signedIn(reviewer);
    renderApp("/projects/p1/cells?view=table");
    await screen.findAllByTestId("cell-row");
    await screen.findByRole("region", { name: "Case" });
    await waitFor(() => expect(api.calls.some((call) => call.path.endsWith("/capabilities"))).toBe(true));
    expect(screen.queryByRole("region", { name: "Members" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Sign off/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Re-score/i })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "It is a cell: count it" })).not.toBeInTheDocument();
    expect(screen.queryByText(/Upload/i)).not.toBeInTheDocument();
    expect(screen.getByTestId("unusable")).toHaveTextContent("blurred");
  });

  it("hides the label correction in the cell view when the user may not label", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => reviewer);
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/projects/p1/capabilities", () => reviewerCapabilities({ label: false }));
    api.on("GET", "/projects/p1/images", () => []);
    api.on("GET", "/images/a", () => imageDetail("a", { result: cellResult() }));
    api.on("GET", "/images/a/neighbours", () => []);
    api.on("GET", "/images/a/labels", () => ({ image_id: "a", labels: {}, history: [] }));
    api.on("GET", "/label-sets", () => [labelSet("cell_type")]);
    signedIn(reviewer);
    renderApp("/projects/p1/cells/a");
    await screen.findByTestId("label-set-row-cell_type");
    await waitFor(() => expect(api.calls.some((call) => call.path.endsWith("/capabilities"))).toBe(true));
    expect(screen.queryByLabelText("Correct label for cell type")).not.toBeInTheDocument();
  });

  it("shows the correction in the cell view when the user may label", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/projects/p1/capabilities", () => capabilities());
    api.on("GET", "/projects/p1/images", () => []);
    api.on("GET", "/images/a", () => imageDetail("a", { result: cellResult() }));
    api.on("GET", "/images/a/neighbours", () => []);
    api.on("GET", "/images/a/labels", () => ({ image_id: "a", labels: {}, history: [] }));
    api.on("GET", "/label-sets", () => [labelSet("cell_type")]);
    signedIn();
    renderApp("/projects/p1/cells/a");
    expect(await screen.findByLabelText("Correct label for cell type")).toBeInTheDocument();
  });
});
