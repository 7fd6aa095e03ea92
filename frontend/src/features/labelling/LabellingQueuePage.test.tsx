import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { LabelEvent } from "../../shared/api/types";
import { caseProject, fakeBackend, json, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

vi.mock("../../shared/components/VegaChart", () => ({
  VegaChart: ({ label }: { label: string }) => <div role="img" aria-label={label} />,
}));

const labelSet = (name: string, change: Record<string, unknown> = {}) => ({
  name,
  kind: "model",
  classes: ["lymphocyte", "neutrophil"],
  description: "",
  status: "model",
  message: null,
  model_version: "pbc-2026.11",
  classifier_version: null,
  labels_version: 0,
  fitted_labels_version: 0,
  updating: false,
  lab_labels: 0,
  support_size: null,
  class_counts: null,
  classes_needing_labels: [],
  changed_image_ids: [],
  ...change,
});

describe("label sets page", () => {
  it("lists label sets with their state in words and creates a custom one", async () => {
    const api = fakeBackend();
    const sets = [
      labelSet("cell_type"),
      labelSet("reactive", {
        kind: "custom",
        classes: ["reactive lymphocyte", "normal"],
        status: "needs_labels",
        message: "Label cells of at least two classes.",
      }),
    ];
    api.on("GET", "/label-sets", () => sets);
    api.on("GET", "/label-sets/([^/]+)/learning-curve", (_r, match) => ({
      label_set: match[1],
      points: [],
      power_law: null,
    }));
    api.on("POST", "/label-sets", async (request) => {
      const body = await request.json();
      if (body.name === "cell_type") return json({ detail: "Label set cell_type already exists." }, 409);
      return json(labelSet(body.name, { kind: "custom", classes: body.classes }), 201);
    });
    signedIn();
    renderApp("/label-sets");
    const row = await screen.findByTestId("label-set-reactive");
    expect(within(row).getByText("Label cells of at least two classes.")).toBeInTheDocument();
    expect(
      within(screen.getByTestId("label-set-cell_type")).getByText(/no lab labels yet/),
    ).toBeInTheDocument();
    expect(await screen.findByText(/No points yet/)).toBeInTheDocument();

    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Name"), "cell_type");
    await user.type(screen.getByLabelText(/^Classes/), "a, b");
    await user.click(screen.getByRole("button", { name: "Create label set" }));
    expect(await screen.findByText(/already exists/)).toBeInTheDocument();

    await user.clear(screen.getByLabelText("Name"));
    await user.type(screen.getByLabelText("Name"), "shape");
    await user.click(screen.getByRole("button", { name: "Create label set" }));
    expect(await screen.findByText(/Label set shape created/)).toBeInTheDocument();
    const post = api.calls.filter((call) => call.method === "POST").at(-1);
    expect(JSON.parse(post?.body ?? "{}")).toEqual({ name: "shape", classes: ["a", "b"], description: "" });
  });

  it("explains a bad name in words without asking the server", async () => {
    const api = fakeBackend();
    api.on("GET", "/label-sets", () => [labelSet("cell_type")]);
    api.on("GET", "/label-sets/cell_type/learning-curve", () => ({
      label_set: "cell_type",
      points: [],
      power_law: null,
    }));
    signedIn();
    renderApp("/label-sets");
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Name"), "bad name");
    await user.type(screen.getByLabelText(/^Classes/), "a, b");
    await user.click(screen.getByRole("button", { name: "Create label set" }));
    expect(await screen.findByText(/without spaces/)).toBeInTheDocument();
    await waitFor(() => expect(api.calls.some((call) => call.method === "POST")).toBe(false));
  });
});

describe("corrections on the cell page", () => {
  it("posts a correction, shows the history and undoes the latest change", async () => {
    const api = fakeBackend();
    const event: LabelEvent = {
      id: "e1",
      image_id: "a",
      project_id: "p1",
      label_set: "cell_type",
      label: "lymphocyte",
      previous_label: null,
      action: "set",
      source: "reviewer",
      username: "ada",
      created_at: "2026-11-23T10:00:00Z",
      undoes: null,
      undone_by: null,
    };
    let history: LabelEvent[] = [];
    api.on("GET", "/projects/p1", () => caseProject);
    api.on("GET", "/projects/p1/images", () => []);
    api.on("GET", "/images/a/neighbours", () => []);
    api.on("GET", "/images/a", () => ({
      id: "a",
      filename: "a.jpg",
      status: "done",
      label: "neutrophil",
      confidence: 0.9,
      error: null,
      uploaded_at: "2026-11-23T10:00:00Z",
      job_id: "j",
      project_id: "p1",
      result: {
        model_version: "pbc-2026.11",
        label_set: "cell_type",
        label: "neutrophil",
        confidence: 0.9,
        labels: { cell_type: "neutrophil" },
        probabilities: { cell_type: { neutrophil: 0.9, lymphocyte: 0.1 } },
        neighbours: [],
        landscape: { x: 0, y: 0 },
      },
    }));
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
    await user.click(screen.getByRole("button", { name: "Correct cell type to lymphocyte" }));
    const post = api.calls.find((call) => call.method === "POST");
    expect(JSON.parse(post?.body ?? "{}")).toEqual({
      label_set: "cell_type",
      action: "set",
      label: "lymphocyte",
    });
    await user.click(await screen.findByRole("button", { name: "Undo: cell type: set to lymphocyte" }));
    expect(await screen.findByText("cell type: undone, back to no label")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Undo/ })).not.toBeInTheDocument();
  });
});
