import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { ImageSummary } from "../../shared/api/types";
import {
  admin,
  capabilities,
  imageSummary,
  labelSet,
  project,
  reviewerCapabilities,
} from "../../test/factories";
import { fakeBackend, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";
import { GROUP_LIMIT } from "./CellGallery";

const CLASSES = ["lymphocyte", "monocyte", "neutrophil"];

function caseWith(images: ImageSummary[], change: { capabilities?: object } = {}) {
  const api = fakeBackend();
  api.on("GET", "/auth/me", () => admin);
  api.on("GET", "/projects/p1", () => project());
  api.on("GET", "/projects/p1/images", () => images);
  api.on("GET", "/label-sets", () => [labelSet("cell_type", { classes: CLASSES })]);
  if (change.capabilities) api.on("GET", "/projects/p1/capabilities", () => change.capabilities);
  signedIn();
  return api;
}

const bulkBodies = (api: ReturnType<typeof fakeBackend>) =>
  api.calls
    .filter((call) => call.method === "POST" && call.path === "/api/v1/labels/bulk")
    .map((call) => JSON.parse(call.body ?? "{}"));

const cell = (id: string, label: string, change: Partial<ImageSummary> = {}) =>
  imageSummary(id, { label, lab_label: label, counted: true, confidence: 0.9, ...change });

// Roomy timeouts: these tests render dozens of thumbnails and query them by role, slow on a loaded machine.
describe("the cell gallery", { timeout: 20_000 }, () => {
  it("is the default view: classes in the lab's report order with names, counts and marks", async () => {
    caseWith([
      cell("a", "neutrophil"),
      cell("b", "lymphocyte", { confidence: 0.4, runner_up: "monocyte", runner_up_probability: 0.35 }),
      cell("c", "neutrophil", { reviewed_label: "neutrophil", changed: true }),
      cell("d", "neutrophil", { unusable: "blank image", counted: false }),
    ]);
    renderApp("/projects/p1/cells");
    await screen.findByRole("heading", { name: "Cells by class" }, { timeout: 5000 });
    const gallery = screen.getByRole("region", { name: "Cells by class" });
    const headings = within(gallery).getAllByRole("heading", { level: 3 });
    expect(headings.map((heading) => heading.textContent)).toEqual([
      "Neutrophil 3 (1 not counted)",
      "Lymphocyte 1",
      "Monocyte 0",
    ]);
    const neutrophils = within(screen.getByRole("listbox", { name: /Neutrophil/ })).getAllByRole("option");
    expect(neutrophils.map((option) => option.getAttribute("aria-label"))).toEqual([
      "a.jpg: Neutrophil, confidence 90%",
      "c.jpg: Neutrophil, confidence 90%, class changed at the last refit, reviewed",
      "d.jpg: Neutrophil, confidence 90%, flagged, not counted: blank image",
    ]);
    expect(screen.getByRole("option", { name: /^b\.jpg/ })).toHaveAccessibleName(
      "b.jpg: Lymphocyte, confidence 40%, runner-up Monocyte 35%, low confidence or nearest reference cells disagree",
    );
    expect(screen.getByTestId("gallery-legend")).toHaveTextContent("1Neutrophil2Lymphocyte3Monocyte");

    // The table is one switch away, and the switch is in the URL.
    await userEvent.click(screen.getByRole("button", { name: "Table" }));
    expect(await screen.findAllByTestId("cell-row")).toHaveLength(4);
    expect(screen.getByRole("button", { name: "Table" })).toHaveAttribute("aria-pressed", "true");
  });

  it("selects with the keyboard and moves the selection to another class with a number key", async () => {
    const api = caseWith([cell("a", "neutrophil"), cell("b", "neutrophil"), cell("c", "neutrophil")]);
    renderApp("/projects/p1/cells");
    const first = await screen.findByRole("option", { name: /^a\.jpg/ });
    expect(first).toHaveAttribute("tabindex", "0");
    act(() => first.focus());
    await userEvent.keyboard("{ArrowRight}");
    expect(screen.getByRole("option", { name: /^b\.jpg/ })).toHaveFocus();
    await userEvent.keyboard(" {Shift>}{ArrowRight}{/Shift}");
    expect(screen.getByTestId("gallery-selected")).toHaveTextContent("2 cells selected");
    expect(screen.getByRole("option", { name: /^c\.jpg/ })).toHaveAttribute("aria-selected", "true");
    expect(first).toHaveAttribute("aria-selected", "false");
    await userEvent.keyboard("2");
    expect(await screen.findByTestId("gallery-outcome")).toHaveTextContent("Moved 2 cells to Lymphocyte.");
    expect(bulkBodies(api)).toEqual([
      {
        label_set: "cell_type",
        action: "set",
        items: [
          { image_id: "b", label: "lymphocyte" },
          { image_id: "c", label: "lymphocyte" },
        ],
      },
    ]);
    expect(screen.getByTestId("gallery-selected")).toHaveTextContent("0 cells selected");
  });

  it("selects a range with shift-click and toggles with ctrl-click", async () => {
    caseWith(["a", "b", "c", "d"].map((id) => cell(id, "neutrophil")));
    const user = userEvent.setup();
    renderApp("/projects/p1/cells");
    const option = async (id: string) => screen.findByRole("option", { name: new RegExp(`^${id}\\.jpg`) });
    await user.click(await option("a"));
    await user.keyboard("{Shift>}");
    await user.click(await option("c"));
    await user.keyboard("{/Shift}{Control>}");
    await user.click(await option("b"));
    await user.keyboard("{/Control}");
    const states = screen.getAllByRole("option").map((item) => item.getAttribute("aria-selected"));
    expect(states).toEqual(["true", "false", "true", "false"]);
  });

  it("moves cells dragged onto another class's header", async () => {
    const api = caseWith([cell("a", "neutrophil"), cell("b", "neutrophil"), cell("m", "monocyte")]);
    const user = userEvent.setup();
    renderApp("/projects/p1/cells");
    const a = await screen.findByRole("option", { name: /^a\.jpg/ });
    await user.click(a);
    await user.keyboard("{Control>}");
    await user.click(screen.getByRole("option", { name: /^b\.jpg/ }));
    await user.keyboard("{/Control}");
    const dataTransfer = { setData: vi.fn(), getData: () => "", dropEffect: "", effectAllowed: "" };
    fireEvent.dragStart(a, { dataTransfer });
    const target = screen.getByTestId("gallery-drop-monocyte");
    fireEvent.dragOver(target, { dataTransfer });
    fireEvent.drop(target, { dataTransfer });
    await waitFor(() => expect(bulkBodies(api)).toHaveLength(1));
    expect(bulkBodies(api)[0].items).toEqual([
      { image_id: "a", label: "monocyte" },
      { image_id: "b", label: "monocyte" },
    ]);
    expect(dataTransfer.setData).toHaveBeenCalledWith("text/plain", "a,b");
  });

  it("confirms only the cells that were on screen, not those hidden or scrolled past", async () => {
    // A browser that reports which thumbnails are on screen: here every one rendered except n1.
    class OnScreen {
      constructor(private report: (entries: object[]) => void) {}
      observe(element: HTMLElement) {
        const shown = element.dataset.cellId !== "n1";
        queueMicrotask(() => this.report([{ target: element, isIntersecting: shown, intersectionRatio: 1 }]));
      }
      unobserve() {}
      disconnect() {}
    }
    vi.stubGlobal("IntersectionObserver", OnScreen);
    const many = Array.from({ length: GROUP_LIMIT + 5 }, (_, index) => cell(`n${index}`, "neutrophil"));
    const api = caseWith([...many, cell("r", "neutrophil", { reviewed_label: "neutrophil" })]);
    renderApp("/projects/p1/cells");
    await screen.findByRole("option", { name: /^n0\.jpg/ });
    // 60 rendered, 1 of them never on screen; 5 beyond "Show all"; the reviewed one is not confirmed again.
    expect(await screen.findByText("6 not seen yet", {}, { timeout: 5000 })).toBeInTheDocument();
    const confirm = within(screen.getByTestId("gallery-drop-neutrophil")).getByRole("button", {
      name: `Confirm these ${GROUP_LIMIT - 1} cells as Neutrophil`,
    });
    await userEvent.click(confirm);
    await waitFor(() => expect(bulkBodies(api)).toHaveLength(1));
    const [body] = bulkBodies(api);
    expect(body.action).toBe("confirm");
    const confirmed = body.items.map((item: { image_id: string }) => item.image_id);
    expect(confirmed).toHaveLength(GROUP_LIMIT - 1);
    expect(confirmed).not.toContain("n1");
    expect(confirmed).not.toContain(`n${GROUP_LIMIT}`);
    expect(confirmed).not.toContain("r");
  });

  it("asks for a reason in a signed-off case, and shows a reviewer without the right no buttons", async () => {
    const api = caseWith([cell("a", "neutrophil")], {
      capabilities: capabilities({ status: "signed_off", label_needs_reason: true }),
    });
    const view = renderApp("/projects/p1/cells");
    const a = await screen.findByRole("option", { name: /^a\.jpg/ });
    act(() => a.focus());
    await userEvent.keyboard("2");
    expect(await screen.findByTestId("gallery-notice")).toHaveTextContent(/give a reason/);
    expect(bulkBodies(api)).toHaveLength(0);
    await userEvent.type(screen.getByLabelText("Reason for changes (the case is signed off)"), "smudge cell");
    act(() => a.focus());
    await userEvent.keyboard("2");
    await waitFor(() => expect(bulkBodies(api)).toHaveLength(1));
    expect(bulkBodies(api)[0]).toMatchObject({
      reason: "smudge cell",
      items: [{ image_id: "a", label: "lymphocyte" }],
    });
    view.unmount();

    caseWith([cell("a", "neutrophil")], { capabilities: reviewerCapabilities({ label: false }) });
    renderApp("/projects/p1/cells");
    await screen.findByRole("option", { name: /^a\.jpg/ });
    expect(screen.queryByRole("button", { name: /^Confirm these/ })).not.toBeInTheDocument();
    expect(screen.queryByTestId("gallery-legend")).not.toBeInTheDocument();
    expect(screen.getByRole("option", { name: /^a\.jpg/ })).toHaveAttribute("draggable", "false");
  });
});
