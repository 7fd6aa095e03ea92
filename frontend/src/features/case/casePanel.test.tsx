import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { admin, capabilities, caseDetails, project, reviewerCapabilities, user } from "../../test/factories";
import { fakeBackend, json, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

function caseBackend() {
  const api = fakeBackend();
  api.on("GET", "/auth/me", () => admin);
  api.on("GET", "/projects/p1", () => project());
  api.on("GET", "/projects/p1/images", () => []);
  return api;
}

function panel() {
  return screen.findByRole("region", { name: "Case" });
}

describe("case panel", () => {
  it("saves only the case details that changed, and refuses an unreadable WBC count in words", async () => {
    const api = caseBackend();
    let current = caseDetails({ specimen_id: "S-1", analyser: "Sysmex XN" });
    api.on("GET", "/projects/p1/case", () => current);
    api.on("PATCH", "/projects/p1/case", async (request) => {
      current = { ...current, ...(await request.json()) };
      return current;
    });
    signedIn();
    renderApp("/projects/p1/cells");
    const section = await panel();
    expect(within(section).getByTestId("case-status")).toHaveTextContent("In review");
    expect(within(section).getByLabelText("Specimen ID")).toHaveValue("S-1");

    await userEvent.type(within(section).getByLabelText("WBC count (×10⁹/L)"), "lots");
    await userEvent.click(within(section).getByRole("button", { name: "Save case details" }));
    expect(within(section).getByRole("alert")).toHaveTextContent("The WBC count must be a positive number");
    expect(api.calls.some((call) => call.method === "PATCH")).toBe(false);

    const wbc = within(section).getByLabelText("WBC count (×10⁹/L)");
    await userEvent.clear(wbc);
    await userEvent.type(wbc, "7,5");
    await userEvent.type(within(section).getByLabelText("Note"), "left shift?");
    await userEvent.click(within(section).getByRole("button", { name: "Save case details" }));
    await waitFor(() => expect(api.calls.some((call) => call.method === "PATCH")).toBe(true));
    const patch = api.calls.find((call) => call.method === "PATCH");
    expect(JSON.parse(patch?.body ?? "{}")).toEqual({ wbc_count: 7.5, note: "left shift?" });
    expect(await within(section).findByLabelText("WBC count (×10⁹/L)")).toHaveValue("7.5");
  });

  it("shows the backend's words when saving fails", async () => {
    const api = caseBackend();
    api.on("PATCH", "/projects/p1/case", () =>
      json({ detail: "The collection date lies in the future." }, 400),
    );
    signedIn();
    renderApp("/projects/p1/cells");
    const section = await panel();
    await userEvent.type(within(section).getByLabelText("Analyser"), "XN");
    await userEvent.click(within(section).getByRole("button", { name: "Save case details" }));
    expect(await within(section).findByRole("alert")).toHaveTextContent(
      "The collection date lies in the future.",
    );
  });

  it("signs the case off and then shows who signed it", async () => {
    const api = caseBackend();
    let current = caseDetails();
    let can = capabilities();
    api.on("GET", "/projects/p1/case", () => current);
    api.on("GET", "/projects/p1/capabilities", () => can);
    api.on("POST", "/projects/p1/sign-off", () => {
      current = caseDetails({
        status: "signed_off",
        signed_off_by: "ada",
        signed_off_at: "2026-12-01T09:30:00Z",
      });
      can = capabilities({ status: "signed_off", sign_off: false, reopen: true, edit_case_details: false });
      return current;
    });
    signedIn();
    renderApp("/projects/p1/cells");
    const section = await panel();
    await userEvent.click(await within(section).findByRole("button", { name: "Sign off" }));
    await userEvent.type(screen.getByLabelText("Comment (optional)"), "normal differential");
    await userEvent.click(screen.getByRole("button", { name: "Sign off the case" }));

    await waitFor(() =>
      expect(within(section).getByTestId("case-status")).toHaveTextContent("Signed off by ada at"),
    );
    const post = api.calls.find((call) => call.path === "/api/v1/projects/p1/sign-off");
    expect(JSON.parse(post?.body ?? "{}")).toEqual({ comment: "normal differential" });
    expect(await within(section).findByRole("button", { name: "Reopen" })).toBeInTheDocument();
    expect(within(section).queryByRole("button", { name: "Sign off" })).not.toBeInTheDocument();
    expect(within(section).getByLabelText("Specimen ID")).toBeDisabled();
  });

  it("shows why a sign-off was refused", async () => {
    const api = caseBackend();
    api.on("POST", "/projects/p1/sign-off", () =>
      json({ detail: "3 cells are still being classified." }, 409),
    );
    signedIn();
    renderApp("/projects/p1/cells");
    const section = await panel();
    await userEvent.click(await within(section).findByRole("button", { name: "Sign off" }));
    await userEvent.click(screen.getByRole("button", { name: "Sign off the case" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("3 cells are still being classified.");
  });

  it("lets an admin reopen a signed-off case with a reason", async () => {
    const api = caseBackend();
    const signed = caseDetails({
      status: "signed_off",
      signed_off_by: "bob",
      signed_off_at: "2026-12-01T09:30:00Z",
    });
    api.on("GET", "/projects/p1/case", () => signed);
    api.on("GET", "/projects/p1/capabilities", () => capabilities({ sign_off: false, reopen: true }));
    api.on("POST", "/projects/p1/reopen", () => caseDetails());
    signedIn();
    renderApp("/projects/p1/cells");
    const section = await panel();
    await userEvent.click(await within(section).findByRole("button", { name: "Reopen" }));
    await userEvent.type(within(section).getByLabelText("Reason for reopening"), "wrong specimen");
    await userEvent.click(within(section).getByRole("button", { name: "Reopen case" }));
    await waitFor(() =>
      expect(api.calls.some((call) => call.path === "/api/v1/projects/p1/reopen")).toBe(true),
    );
    const post = api.calls.find((call) => call.path === "/api/v1/projects/p1/reopen");
    expect(JSON.parse(post?.body ?? "{}")).toEqual({ reason: "wrong specimen" });
  });

  it("shows a reviewer the details read-only and no sign-off, and downloads the report with the token", async () => {
    const api = caseBackend();
    api.on("GET", "/auth/me", () => user({ role: "reviewer" }));
    api.on("GET", "/projects/p1/capabilities", () => reviewerCapabilities());
    api.on(
      "GET",
      "/projects/p1/report.pdf",
      () => new Response("%PDF-1.4", { headers: { "Content-Type": "application/pdf" } }),
    );
    const createObjectURL = vi.fn(() => "blob:report");
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    signedIn(user({ role: "reviewer" }));
    renderApp("/projects/p1/cells");
    const section = await panel();
    await userEvent.click(await within(section).findByRole("button", { name: "Download report (PDF)" }));
    await waitFor(() =>
      expect(api.calls.some((call) => call.path === "/api/v1/projects/p1/report.pdf")).toBe(true),
    );
    const request = api.fetchMock.mock.calls.find(([input]) =>
      String(input instanceof Request ? input.url : input).endsWith("report.pdf"),
    );
    const headers = new Headers(request?.[1]?.headers);
    expect(headers.get("Authorization")).toBe("Bearer t0k3n");
    expect(createObjectURL).toHaveBeenCalled();
    expect(within(section).queryByRole("button", { name: "Sign off" })).not.toBeInTheDocument();
    expect(within(section).queryByRole("button", { name: "Save case details" })).not.toBeInTheDocument();
    expect(within(section).getByLabelText("Note")).toBeDisabled();
  });
});
