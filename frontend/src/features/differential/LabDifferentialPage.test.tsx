import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { admin, labClassCount, labDifferential, project } from "../../test/factories";
import { fakeBackend, json, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

function differentialBackend(wbcCount: number | null) {
  const api = fakeBackend();
  api.on("GET", "/auth/me", () => admin);
  api.on("GET", "/projects/p1", () => project());
  api.on("GET", "/projects/p1/lab-differential", () =>
    labDifferential({
      model_versions: ["v3"],
      wbc_count: wbcCount,
      white_cells: 4,
      platelets: 2,
      nrbc: 1,
      nrbc_per_100_wbc: 25,
      reviewed: 3,
      not_reviewed: 4,
      classes: [
        labClassCount("ig", { count: 1, reviewed: 1, percentage: 25, absolute: wbcCount && 2 }),
        labClassCount("neutrophil", {
          count: 3,
          reviewed: 1,
          not_reviewed: 2,
          percentage: 75,
          absolute: wbcCount && 6,
        }),
        labClassCount("platelet", { count: 2, not_reviewed: 2 }),
        labClassCount("erythroblast", { count: 1, reviewed: 1 }),
      ],
    }),
  );
  return api;
}

describe("lab differential", () => {
  it("gives white cells only in the percentages, the others apart, with the lab's class names", async () => {
    differentialBackend(null);
    signedIn();
    renderApp("/projects/p1/differential-count");
    const table = await screen.findByTestId("differential-table");
    const rows = within(table).getAllByRole("row");
    expect(rows[1]).toHaveTextContent("Neutrophil375.012");
    expect(rows[2]).toHaveTextContent("Immature granulocyte125.010");
    expect(rows).toHaveLength(4);
    expect(within(table).queryByText("Platelet")).not.toBeInTheDocument();
    expect(screen.queryByText(/^ig$/)).not.toBeInTheDocument();
    expect(within(table).queryByText("×10⁹/L")).not.toBeInTheDocument();

    const others = screen.getByTestId("other-cells-table");
    expect(within(others).getAllByRole("row")[0]).toHaveTextContent("Platelet2");
    expect(within(others).getAllByRole("row")[1]).toHaveTextContent("Erythroblast (NRBC)1");
    expect(screen.getByTestId("nrbc-per-100")).toHaveTextContent("25.0");
    expect(screen.getByTestId("differential-summary")).toHaveTextContent("3 reviewed, 4 not reviewed");
    expect(screen.getByTestId("differential-summary")).toHaveTextContent("Model version: v3");
  });

  it("shows absolute counts when the case has a WBC count", async () => {
    differentialBackend(8);
    signedIn();
    renderApp("/projects/p1/differential-count");
    const table = await screen.findByTestId("differential-table");
    expect(within(table).getByText("×10⁹/L")).toBeInTheDocument();
    expect(within(table).getAllByRole("row")[1]).toHaveTextContent("Neutrophil375.06.0012");
    expect(screen.getByTestId("differential-summary")).toHaveTextContent("WBC count 8 ×10⁹/L");
  });

  it("downloads the CSV with the session's token, and says why when it fails", async () => {
    const api = differentialBackend(null);
    let fail = false;
    api.on("GET", "/projects/p1/lab-differential", (request) => {
      if (new URL(request.url).searchParams.get("format") !== "csv")
        return labDifferential({
          white_cells: 1,
          classes: [labClassCount("neutrophil", { count: 1, percentage: 100 })],
        });
      return fail ? json({ detail: "The server is busy." }, 503) : new Response("class,code\n");
    });
    const createObjectURL = vi.fn(() => "blob:csv");
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    signedIn();
    renderApp("/projects/p1/differential-count");
    await userEvent.click(await screen.findByRole("button", { name: "Export CSV" }));
    await waitFor(() => expect(createObjectURL).toHaveBeenCalled());
    expect(api.calls.some((call) => call.path === "/api/v1/projects/p1/lab-differential?format=csv")).toBe(
      true,
    );
    fail = true;
    await userEvent.click(screen.getByRole("button", { name: "Export CSV" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The server is busy.");
  });
});
