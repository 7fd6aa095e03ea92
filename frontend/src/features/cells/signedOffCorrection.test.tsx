import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import {
  admin,
  capabilities,
  caseDetails,
  cellResult,
  imageDetail,
  labelEvent,
  labelSet,
  project,
} from "../../test/factories";
import { fakeBackend, json, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

describe("a label change in a signed-off case", () => {
  it("asks for a reason and sends it with the change", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project({ status: "signed_off" }));
    api.on("GET", "/projects/p1/case", () =>
      caseDetails({ status: "signed_off", signed_off_by: "ada", signed_off_at: "2026-12-01T09:30:00Z" }),
    );
    api.on("GET", "/projects/p1/capabilities", () =>
      capabilities({ status: "signed_off", sign_off: false, reopen: true, label_needs_reason: true }),
    );
    api.on("GET", "/projects/p1/images", () => []);
    api.on("GET", "/images/a/neighbours", () => []);
    api.on("GET", "/images/a", () => imageDetail("a", { result: cellResult() }));
    api.on("GET", "/label-sets", () => [labelSet("cell_type")]);
    api.on("GET", "/label-sets/cell_type", () => labelSet("cell_type"));
    api.on("GET", "/images/a/labels", () => ({ image_id: "a", labels: {}, history: [] }));
    api.on("POST", "/images/a/labels", () => json(labelEvent("e1", { label: "lymphocyte" }), 201));
    signedIn();
    renderApp("/projects/p1/cells/a");

    const reason = await screen.findByLabelText("Reason for changing cell type (the case is signed off)");
    await userEvent.selectOptions(screen.getByLabelText("Correct label for cell type"), "lymphocyte");
    const correct = screen.getByRole("button", { name: "Correct cell type to Lymphocyte" });
    expect(correct).toBeDisabled();
    await userEvent.type(reason, "missed atypical lymphocyte");
    expect(correct).toBeEnabled();
    await userEvent.click(correct);
    await waitFor(() =>
      expect(
        api.calls.some((call) => call.method === "POST" && call.path === "/api/v1/images/a/labels"),
      ).toBe(true),
    );
    const post = api.calls.find((call) => call.method === "POST" && call.path === "/api/v1/images/a/labels");
    expect(JSON.parse(post?.body ?? "{}")).toMatchObject({
      label_set: "cell_type",
      action: "set",
      label: "lymphocyte",
      reason: "missed atypical lymphocyte",
    });
  });

  it("sends no reason field while the case is in review", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/projects/p1/images", () => []);
    api.on("GET", "/images/a/neighbours", () => []);
    api.on("GET", "/images/a", () => imageDetail("a", { result: cellResult() }));
    api.on("GET", "/label-sets", () => [labelSet("cell_type")]);
    api.on("GET", "/label-sets/cell_type", () => labelSet("cell_type"));
    api.on("GET", "/images/a/labels", () => ({ image_id: "a", labels: {}, history: [] }));
    api.on("POST", "/images/a/labels", () => json(labelEvent("e1", { label: "lymphocyte" }), 201));
    signedIn();
    renderApp("/projects/p1/cells/a");
    await userEvent.selectOptions(await screen.findByLabelText("Correct label for cell type"), "lymphocyte");
    expect(screen.queryByLabelText(/Reason for changing/)).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Correct cell type to Lymphocyte" }));
    await waitFor(() =>
      expect(
        api.calls.some((call) => call.method === "POST" && call.path === "/api/v1/images/a/labels"),
      ).toBe(true),
    );
    const post = api.calls.find((call) => call.method === "POST" && call.path === "/api/v1/images/a/labels");
    expect(JSON.parse(post?.body ?? "{}")).not.toHaveProperty("reason");
  });
});
