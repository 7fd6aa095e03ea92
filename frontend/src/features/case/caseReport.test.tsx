import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import {
  admin,
  capabilities,
  caseDetails,
  imageSummary,
  labDifferential,
  project,
} from "../../test/factories";
import { fakeBackend, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

function signedOffCase() {
  const api = fakeBackend();
  api.on("GET", "/auth/me", () => admin);
  api.on("GET", "/projects/p1", () => project());
  api.on("GET", "/projects/p1/images", () => [
    imageSummary("a", { label: "ig", confidence: 0.41, needs_review: true }),
    imageSummary("b", { label: "neutrophil", confidence: 0.97 }),
  ]);
  api.on("GET", "/projects/p1/case", () =>
    caseDetails({
      specimen_id: "S-7",
      status: "signed_off",
      signed_off_by: "alice",
      signed_off_at: "2026-11-23T11:00:00Z",
    }),
  );
  api.on("GET", "/projects/p1/capabilities", () =>
    capabilities({ status: "signed_off", read_audit_log: true }),
  );
  api.on("GET", "/projects/p1/audit", () => [
    {
      id: "c1",
      action: "sign_off",
      username: "alice",
      created_at: "2026-11-23T11:00:00Z",
      reason: "smear reviewed",
    },
    {
      id: "e1",
      action: "set",
      username: "rita",
      created_at: "2026-11-23T12:00:00Z",
      reason: "nucleus folded: a monocyte",
      image_id: "a",
      filename: "a.jpg",
      label_set: "cell_type",
      previous_label: null,
      label: "monocyte",
    },
  ]);
  api.on("GET", "/projects/p1/lab-differential", () =>
    labDifferential({
      model_versions: ["pbc-2026.11"],
      white_cells: 2,
      reviewed: 1,
      not_reviewed: 1,
      classes: [
        {
          code: "neutrophil",
          name: "Neutrophil",
          category: "wbc",
          count: 2,
          percentage: 100,
          absolute: null,
          reviewed: 1,
          not_reviewed: 1,
        },
      ],
    }),
  );
  signedIn();
  return api;
}

describe("audit log in the case panel", () => {
  it("lists the changes after sign-off newest first, with who, when, what and why", async () => {
    signedOffCase();
    renderApp("/projects/p1/cells");
    const log = await screen.findByTestId("audit-log");
    expect(log).toHaveTextContent("Audit log (2 entries, 1 label change after sign-off)");
    await userEvent.click(log.querySelector("summary") as HTMLElement);
    const rows = within(log).getAllByTestId("audit-entry");
    expect(rows[0]).toHaveTextContent("rita");
    expect(rows[0]).toHaveTextContent("nucleus folded: a monocyte");
    expect(within(rows[0]).getByRole("link")).toHaveAttribute("href", "/projects/p1/cells/a");
    expect(rows[1]).toHaveTextContent("Signed off");
    expect(rows[1]).toHaveTextContent("smear reviewed");
  });
});

describe("printable report", () => {
  it("opens from the case panel and shows header, differential, flagged cells and sign-off", async () => {
    signedOffCase();
    renderApp("/projects/p1/cells");
    await screen.findByTestId("audit-log");
    await userEvent.click(await screen.findByRole("link", { name: "Print…" }));
    const sheet = await screen.findByTestId("report-sheet");
    expect(within(sheet).getByRole("heading", { level: 1 })).toHaveTextContent("Case 7");
    expect(sheet).toHaveTextContent("S-7");
    expect(within(sheet).getByTestId("differential-table")).toHaveTextContent("Neutrophil");
    const flagged = within(sheet).getAllByTestId("report-flagged-cell");
    expect(flagged).toHaveLength(1);
    expect(flagged[0]).toHaveTextContent("low confidence (41%)");
    expect(within(flagged[0]).getByRole("img")).toHaveAttribute(
      "src",
      "/api/v1/images/a/thumbnail?access_token=t0k3n",
    );
    expect(within(sheet).getByTestId("report-sign-off")).toHaveTextContent("Signed off by alice");
    // the report is the page: no case panel or tabs around it; the print button is marked screen-only
    expect(screen.queryByRole("region", { name: "Case" })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Print" }).closest(".no-print")).not.toBeNull();
  });
});
