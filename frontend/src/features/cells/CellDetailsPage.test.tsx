import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { LabelEvent } from "../../shared/api/types";
import {
  admin,
  cellResult,
  imageDetail,
  imageSummary,
  labelEvent,
  labelSet,
  project,
} from "../../test/factories";
import { fakeBackend, json, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

describe("cell details", () => {
  it("shows the label of every label set, the model version and the neighbours", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/projects/p1/images", () => [
      imageSummary("a", { label: "neutrophil", confidence: 0.93 }),
    ]);
    api.on("GET", "/images/a", () =>
      imageDetail("a", {
        width: 360,
        height: 360,
        field_of_view: { top: 36, left: 36, side: 288 },
        result: cellResult({
          confidence: 0.93,
          labels: { cell_type: "neutrophil", nucleus_shape: "segmented" },
          probabilities: {
            cell_type: { neutrophil: 0.93, ig: 0.07 },
            nucleus_shape: { segmented: 0.8, band: 0.2 },
          },
          landscape: { x: 1, y: 2 },
        }),
      }),
    );
    api.on("GET", "/images/a/neighbours", () => [
      {
        reference_id: "r1",
        label: "neutrophil",
        distance: 0.12,
        thumbnail_url: "/api/v1/references/r1/thumbnail",
      },
      { reference_id: "r2", label: "ig", distance: 0.31, thumbnail_url: "/api/v1/references/r2/thumbnail" },
    ]);
    signedIn();
    renderApp("/projects/p1/cells/a");
    expect(await screen.findByText("pbc-2026.11")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "nucleus shape" })).toBeInTheDocument();
    expect(await screen.findByText("Segmented", { selector: ".class-label" })).toBeInTheDocument();
    expect(await screen.findAllByTestId("neighbour")).toHaveLength(2);
    expect(screen.getAllByTestId("neighbour")[0]).toHaveTextContent(/Neutrophil.*distance 0\.120/);
    // the cell itself leads the row at the reference scale: its 288 px field fills the tile, as theirs do
    const own = within(screen.getByTestId("same-scale-cell")).getByRole("img");
    expect(own.style.width).toBe("125%");
    expect(own.style.left).toBe("-12.5%");
    const thumbnail = screen.getByAltText("Reference cell 1: Neutrophil");
    expect(thumbnail.getAttribute("src")).toBe("/api/v1/references/r1/thumbnail?access_token=t0k3n");
  });
});

describe("corrections on the cell page", () => {
  it("posts a correction, shows the history and undoes the latest change", async () => {
    const api = fakeBackend();
    const event = labelEvent("e1");
    let history: LabelEvent[] = [];
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/projects/p1/images", () => []);
    api.on("GET", "/images/a/neighbours", () => []);
    api.on("GET", "/images/a", () => imageDetail("a", { result: cellResult() }));
    api.on("GET", "/label-sets", () => [labelSet("cell_type")]);
    api.on("GET", "/label-sets/cell_type", () => labelSet("cell_type"));
    api.on("GET", "/images/a/labels", () => ({ image_id: "a", labels: {}, history }));
    api.on("POST", "/images/a/labels", () => {
      history = [event];
      return json(event, 201);
    });
    api.on("POST", "/labels/e1/undo", () => {
      history = [
        { ...event, undone_by: "e2" },
        { ...event, id: "e2", action: "undo", label: null, undoes: "e1" },
      ];
      return json(history[1], 201);
    });
    signedIn();
    renderApp("/projects/p1/cells/a");
    expect(await screen.findByText("Nobody has labelled this cell yet.")).toBeInTheDocument();
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText("Correct label for cell type"), "lymphocyte");
    await user.click(screen.getByRole("button", { name: "Correct cell type to Lymphocyte" }));
    const post = api.calls.find((call) => call.method === "POST");
    expect(JSON.parse(post?.body ?? "{}")).toEqual({
      label_set: "cell_type",
      action: "set",
      label: "lymphocyte",
    });
    await user.click(await screen.findByRole("button", { name: "Undo: cell type: set to Lymphocyte" }));
    expect(await screen.findByText("cell type: undone, back to no label")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Undo/ })).not.toBeInTheDocument();
  });
});
