import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { admin, project } from "../../test/factories";
import { fakeBackend, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

describe("differential count", () => {
  it("shows count and percentage per class", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/projects/p1/differential-count", () => ({
      label_set: "cell_type",
      total: 4,
      classes: [
        { label: "lymphocyte", count: 1, percentage: 25 },
        { label: "neutrophil", count: 3, percentage: 75 },
      ],
    }));
    signedIn();
    renderApp("/projects/p1/differential-count");
    const table = await screen.findByTestId("differential-table");
    const rows = within(table).getAllByRole("row");
    expect(rows[1]).toHaveTextContent("neutrophil375.0");
    expect(rows[2]).toHaveTextContent("lymphocyte125.0");
    expect(screen.getByRole("button", { name: "Export CSV" })).toBeEnabled();
  });
});
