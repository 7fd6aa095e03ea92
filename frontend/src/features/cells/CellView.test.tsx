import { fireEvent, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { cellResult, imageDetail, project } from "../../test/factories";
import { fakeBackend, json, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

/** A classified cell "a" on a landscape with one reference cell and one other cell of the case. */
function cellPage() {
  const api = fakeBackend();
  api.on("GET", "/projects/p1", () => project());
  api.on("GET", "/projects/p1/images", () => []);
  api.on("GET", "/images/a/neighbours", () => []);
  api.on("GET", "/images/a/labels", () => ({ image_id: "a", labels: {}, history: [] }));
  api.on("GET", "/images/a", () =>
    imageDetail("a", {
      reviewed_label: "band",
      reviewed_by: "rita",
      reviewed_at: "2026-11-23T10:00:00Z",
      result: cellResult({
        confidence: 0.91,
        probabilities: { cell_type: { neutrophil: 0.91, band: 0.06, ig: 0.03 } },
      }),
    }),
  );
  api.on("GET", "/projects/p1/landscape", () => ({
    model_version: "pbc-2026.11",
    references: [{ reference_id: "r1", x: 0, y: 0, label: "neutrophil" }],
    cells: [
      { image_id: "a", x: 1, y: 1, label: "neutrophil", confidence: 0.91 },
      { image_id: "b", x: 2, y: 0, label: "lymphocyte", confidence: 0.8 },
    ],
  }));
  signedIn();
  renderApp("/projects/p1/cells/a");
  return api;
}

describe("the cell view", () => {
  it("shows the runner-up beside the confidence, who reviewed the cell, and rings it on the landscape", async () => {
    cellPage();
    expect(await screen.findByTestId("cell-confidence")).toHaveTextContent("91% · runner-up Band 6%");
    expect(screen.getByTestId("cell-reviewed")).toHaveTextContent("Band by rita");
    const map = await screen.findByRole("img", {
      name: /this cell, a Neutrophil, ringed among the case's 2 cells/,
    });
    expect(within(map).getByTestId("minimap-this-cell")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Open the landscape" })).toHaveAttribute(
      "href",
      "/projects/p1/landscape",
    );
  });

  it("zooms with the buttons and the keyboard, and moves the view only as far as the image reaches", async () => {
    cellPage();
    const viewer = await screen.findByTestId("cell-viewer");
    expect(viewer).toHaveAttribute("data-zoom", "1");
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "4×" }));
    expect(viewer).toHaveAttribute("data-zoom", "4");
    expect(screen.getByRole("button", { name: "4×" })).toHaveAttribute("aria-pressed", "true");
    fireEvent.keyDown(viewer, { key: "-" });
    expect(viewer).toHaveAttribute("data-zoom", "2");
    fireEvent.keyDown(viewer, { key: "0" });
    expect(viewer).toHaveAttribute("data-zoom", "1");
    fireEvent.keyDown(viewer, { key: "+" });
    expect(viewer).toHaveAttribute("data-zoom", "2");
    fireEvent.wheel(viewer, { deltaY: -100 });
    expect(viewer).toHaveAttribute("data-zoom", "4");
    // jsdom lays nothing out (a 0 px frame): panning is clamped to nothing rather than sliding the image away
    fireEvent.keyDown(viewer, { key: "ArrowLeft" });
    expect((viewer.firstElementChild as HTMLElement).style.transform).toBe("translate(0px, 0px) scale(4)");
  });
});

describe("the explanation", () => {
  it("is asked for on request, shows progress while the worker computes it, then lies over the cell", async () => {
    const api = cellPage();
    let asks = 0;
    api.on("POST", "/images/a/explanation", () => json({ image_id: "a", status: "pending" }, 202));
    api.on("GET", "/images/a/explanation", () =>
      ++asks < 2
        ? json({ image_id: "a", status: "running", method: null }, 202)
        : new Response(new TextEncoder().encode("png"), {
            headers: { "Content-Type": "image/png", "X-Explanation-Method": "gradcam++" },
          }),
    );
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Show explanation" }));
    expect(await screen.findByTestId("explanation-progress")).toHaveTextContent("computing the heatmap");
    const heatmap = await screen.findByTestId("explanation-heatmap", {}, { timeout: 4000 });
    expect(heatmap).toHaveAttribute("src", `data:image/png;base64,${btoa("png")}`);
    expect(heatmap.style.opacity).toBe("0.7");
    expect(screen.getByTestId("explanation-legend")).toHaveTextContent(
      "Where the encoder looked (GradCAM++)",
    );
    fireEvent.change(screen.getByRole("slider", { name: /Heatmap opacity/ }), { target: { value: "30" } });
    expect(heatmap.style.opacity).toBe("0.3");
    await user.click(screen.getByRole("button", { name: "Hide explanation" }));
    expect(screen.queryByTestId("explanation-heatmap")).not.toBeInTheDocument();
  });

  it("says in words why it failed and offers to try again", async () => {
    const api = cellPage();
    api.on("POST", "/images/a/explanation", () => json({ image_id: "a", status: "pending" }, 202));
    api.on("GET", "/images/a/explanation", () =>
      json(
        {
          detail:
            "The explanation failed: the workers now run test-1; re-score the case, then ask again. POST on this address to try again.",
        },
        409,
      ),
    );
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Show explanation" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("No explanation: The explanation failed: the workers now run test-1");
    expect(alert).not.toHaveTextContent("POST");
    expect(screen.getByRole("button", { name: "Try the explanation again" })).toBeEnabled();
  });
});
