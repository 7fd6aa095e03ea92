import { act, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { admin, cellResult, imageDetail, imageSummary, labelSet, project } from "../../test/factories";
import { fakeBackend, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

// Uploaded a, b, c; the gallery shows the neutrophils a and c before the lymphocyte b.
function caseOfThree() {
  const api = fakeBackend();
  api.on("GET", "/auth/me", () => admin);
  api.on("GET", "/projects/p1", () => project());
  api.on("GET", "/projects/p1/images", () => [
    imageSummary("a", { label: "neutrophil", confidence: 0.9 }),
    imageSummary("b", { label: "lymphocyte", confidence: 0.5 }),
    imageSummary("c", { label: "neutrophil", confidence: 0.7 }),
  ]);
  api.on("GET", "/label-sets", () => [labelSet("cell_type")]);
  api.on("GET", "/label-sets/cell_type", () => labelSet("cell_type"));
  api.on("GET", "/images/([^/]+)", (_request, match) => imageDetail(match[1], { result: cellResult() }));
  api.on("GET", "/images/([^/]+)/neighbours", () => []);
  api.on("GET", "/images/([^/]+)/labels", (_request, match) => ({
    image_id: match[1],
    labels: {},
    history: [],
  }));
  signedIn();
}

const pager = async () => screen.findByRole("navigation", { name: "Other cells" });

describe("previous / next on the cell page", () => {
  it("follows the gallery when the cell was opened from the gallery", async () => {
    caseOfThree();
    renderApp("/projects/p1/cells");
    const a = await screen.findByRole("option", { name: /^a\.jpg/ });
    act(() => a.focus());
    await userEvent.keyboard("{Enter}");
    const nav = await pager();
    expect(await within(nav).findByTestId("pager-position")).toHaveTextContent("1 / 3");
    expect(within(nav).getByRole("link", { name: "Next →" })).toHaveAttribute(
      "href",
      "/projects/p1/cells/c?view=gallery",
    );
    await userEvent.click(within(nav).getByRole("link", { name: "Next →" }));
    expect(await within(await pager()).findByTestId("pager-position")).toHaveTextContent("2 / 3");
    expect(within(await pager()).getByRole("link", { name: "Next →" })).toHaveAttribute(
      "href",
      "/projects/p1/cells/b?view=gallery",
    );
    expect(screen.getByRole("link", { name: "← All cells" })).toHaveAttribute(
      "href",
      "/projects/p1/cells?view=gallery",
    );
  });

  it("follows the table's sort when the cell was opened from the sorted table", async () => {
    caseOfThree();
    renderApp("/projects/p1/cells?view=table&sort=confidence");
    const rows = await screen.findAllByTestId("cell-row");
    await userEvent.click(within(rows[0]).getByRole("link", { name: "b.jpg" }));
    const nav = await pager();
    expect(within(nav).getByRole("link", { name: "Next →" })).toHaveAttribute(
      "href",
      "/projects/p1/cells/c?view=table&sort=confidence",
    );
  });

  it("uses upload order for a deep link", async () => {
    caseOfThree();
    renderApp("/projects/p1/cells/a");
    const nav = await pager();
    expect(within(nav).getByRole("link", { name: "Next →" })).toHaveAttribute("href", "/projects/p1/cells/b");
  });
});
