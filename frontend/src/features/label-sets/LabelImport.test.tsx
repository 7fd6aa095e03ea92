import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../../shared/api/errors";
import { importLabels } from "../../shared/api/labelImport";
import { admin, caseProject, fakeBackend, json, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

vi.mock("../../shared/components/VegaChart", () => ({
  VegaChart: ({ label }: { label: string }) => <div role="img" aria-label={label} />,
}));

// XMLHttpRequest (for upload progress) is not faked: the upload itself is.
vi.mock("../../shared/api/labelImport", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../../shared/api/labelImport")>()),
  importLabels: vi.fn(),
}));

const labelSet = (name: string, change: Record<string, unknown> = {}) => ({
  name,
  kind: "custom",
  classes: ["reactive lymphocyte", "normal"],
  description: "",
  status: "needs_labels",
  message: "Label cells of at least two classes.",
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

function labelSetsBackend() {
  const api = fakeBackend();
  api.on("GET", "/label-sets", () => [labelSet("reactive")]);
  api.on("GET", "/label-sets/reactive", () => labelSet("reactive"));
  api.on("GET", "/label-sets/reactive/learning-curve", () => ({
    label_set: "reactive",
    points: [],
    power_law: null,
  }));
  return api;
}

const csv = (text: string) => new File([text], "labels.csv", { type: "text/csv" });

afterEach(() => vi.mocked(importLabels).mockReset());

describe("label import and export on the label sets page", () => {
  it("imports a CSV and says how many labels changed", async () => {
    const api = labelSetsBackend();
    vi.mocked(importLabels).mockImplementation(async (_name, _file, onProgress) => {
      onProgress(1);
      return { imported: 1, unchanged: 2 };
    });
    signedIn();
    renderApp("/label-sets");
    const user = userEvent.setup();
    const picker = await screen.findByLabelText("Import labels (CSV) into reactive");
    const listsBefore = api.calls.filter((call) => call.path === "/api/v1/label-sets").length;
    await user.upload(picker, csv("image_id,label\na,normal\n"));
    expect(await screen.findByTestId("import-result")).toHaveTextContent(
      "labels.csv: Imported 1 label, 2 unchanged.",
    );
    expect(vi.mocked(importLabels).mock.calls[0][0]).toBe("reactive");
    expect(vi.mocked(importLabels).mock.calls[0][1].name).toBe("labels.csv");
    // The label sets (lab label counts, classifier state) are asked for again.
    await waitFor(() =>
      expect(api.calls.filter((call) => call.path === "/api/v1/label-sets").length).toBeGreaterThan(
        listsBefore,
      ),
    );
  });

  it("shows the rows the server rejected in words, not as JSON", async () => {
    labelSetsBackend();
    vi.mocked(importLabels).mockRejectedValue(
      new ApiError(
        400,
        "Nothing was imported: line 3: there is no image nope. Classes of 'reactive': reactive lymphocyte, normal.",
      ),
    );
    signedIn();
    renderApp("/label-sets");
    const user = userEvent.setup();
    await user.upload(
      await screen.findByLabelText("Import labels (CSV) into reactive"),
      csv("image_id,label\na,normal\nnope,normal\n"),
    );
    const alert = await screen.findByTestId("import-error");
    expect(alert).toHaveTextContent("Nothing was imported: the CSV has problems.");
    expect(within(alert).getByRole("listitem")).toHaveTextContent("Line 3: there is no image nope");
    expect(alert).toHaveTextContent("Classes of 'reactive': reactive lymphocyte, normal.");
    expect(alert.textContent).not.toMatch(/[{}]|detail/);
  });

  it("refuses an empty file without sending it", async () => {
    labelSetsBackend();
    signedIn();
    renderApp("/label-sets");
    const user = userEvent.setup();
    await user.upload(
      await screen.findByLabelText("Import labels (CSV) into reactive"),
      new File([], "empty.csv", { type: "text/csv" }),
    );
    expect(await screen.findByText(/empty\.csv is empty/)).toBeInTheDocument();
    expect(importLabels).not.toHaveBeenCalled();
  });

  it("downloads the label history of one label set or of all, and explains a refusal", async () => {
    const api = labelSetsBackend();
    let refuse = false;
    api.on("GET", "/labels/export", () =>
      refuse
        ? json({ detail: "Only administrators can do this; ask an administrator." }, 403)
        : new Response("change_id,created_at,label_set\n", { headers: { "Content-Type": "text/csv" } }),
    );
    const createObjectURL = vi.fn(() => "blob:labels");
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});
    signedIn();
    renderApp("/label-sets");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Export label history (CSV) of reactive" }));
    await waitFor(() => expect(click).toHaveBeenCalledTimes(1));
    expect(api.calls.map((call) => call.path)).toContain("/api/v1/labels/export?label_set=reactive");
    await user.click(screen.getByRole("button", { name: "Export label history (CSV), all label sets" }));
    await waitFor(() => expect(click).toHaveBeenCalledTimes(2));
    expect(api.calls.map((call) => call.path)).toContain("/api/v1/labels/export");
    refuse = true;
    await user.click(screen.getByRole("button", { name: "Export label history (CSV), all label sets" }));
    expect(
      await screen.findByText(
        "The label history was not exported: Only administrators can do this; ask an administrator.",
      ),
    ).toBeInTheDocument();
    click.mockRestore();
  });

  it("hides import and export from everyone but admins", async () => {
    labelSetsBackend();
    signedIn({ ...admin, role: "pathologist" });
    renderApp("/label-sets");
    expect(await screen.findByText(/No points yet/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Add classes" })).toBeInTheDocument();
    expect(screen.queryByLabelText(/Import labels/)).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Export label history/ })).not.toBeInTheDocument();
  });
});

describe("labelling queue without a classifier", () => {
  it("replaces the 'no classifier' note with the queue once a refit produced a classifier", async () => {
    const api = fakeBackend();
    let ready = false;
    const image = (id: string) => ({
      id,
      filename: `${id}.jpg`,
      status: "done",
      label: "lymphocyte",
      confidence: 0.9,
      error: null,
      uploaded_at: "2026-11-23T10:00:00Z",
      job_id: "j",
    });
    api.on("GET", "/projects/p1", () => caseProject);
    api.on("GET", "/model-versions", () => []);
    api.on("GET", "/projects/p1/images", () => [image("a"), image("b")]);
    api.on("GET", "/images/([^/]+)", (_r, match) => ({ ...image(match[1]), project_id: "p1", result: null }));
    api.on("GET", "/label-sets", () => [labelSet("reactive")]);
    api.on("GET", "/label-sets/reactive", () =>
      ready
        ? labelSet("reactive", { status: "ready", classifier_version: 1, message: null })
        : labelSet("reactive"),
    );
    api.on("GET", "/label-sets/reactive/queue", () =>
      ready
        ? {
            label_set: "reactive",
            strategy: "uncertainty",
            classifier_version: 1,
            review: [
              {
                image_id: "b",
                project_id: "p1",
                filename: "b.jpg",
                label: "normal",
                confidence: 0.6,
                margin: 0.2,
                entropy: 0.6,
              },
            ],
            confirm: [],
            candidates: 1,
          }
        : json(
            { detail: "2 cell(s) labelled, all as 'normal'; label cells of at least one more class." },
            409,
          ),
    );
    api.on("POST", "/images/a/labels", () => {
      ready = true; // the worker's refit is instant here
      return json(
        {
          id: "e1",
          image_id: "a",
          project_id: "p1",
          label_set: "reactive",
          label: "reactive lymphocyte",
          previous_label: null,
          action: "set",
          source: "reviewer",
          username: "ada",
          created_at: "2026-11-23T10:00:00Z",
          undoes: null,
          undone_by: null,
        },
        201,
      );
    });
    signedIn();
    renderApp("/projects/p1/queue");
    const user = userEvent.setup();
    await user.selectOptions(await screen.findByLabelText("Label set"), "reactive");
    await user.click(screen.getByRole("button", { name: "Load queue" }));
    const note = await screen.findByTestId("queue-no-classifier");
    expect(note).toHaveTextContent(
      // The label set's own words (fresher than the queue's 409).
      "reactive has no classifier yet (Label cells of at least two classes.).",
    );
    await user.click(await screen.findByRole("button", { name: /reactive lymphocyte/ }));
    let refitDone: (() => void) | undefined;
    const refitting = new Promise<void>((done) => {
      refitDone = done;
    });
    api.on("GET", "/label-sets/reactive", async () => {
      await refitting;
      return labelSet("reactive", { status: "ready", classifier_version: 1, message: null });
    });
    await user.click(screen.getByRole("button", { name: /Save as reactive lymphocyte/ }));
    // While the refit runs, the note no longer repeats the reason the queue gave before the label.
    await waitFor(() => expect(note.textContent).toMatch(/has no classifier yet\. Showing/));
    refitDone?.();
    expect(await screen.findByTestId("queue-got-classifier")).toHaveTextContent(
      "reactive now has a classifier",
    );
    expect(screen.queryByTestId("queue-no-classifier")).not.toBeInTheDocument();
    expect(screen.getByTestId("queue-summary")).toHaveTextContent("1 unlabelled cell with a prediction");
  });

  it("asks for a fresh batch when 'Load queue' is pressed again with the same settings", async () => {
    const api = fakeBackend();
    api.on("GET", "/projects/p1", () => caseProject);
    api.on("GET", "/model-versions", () => []);
    api.on("GET", "/projects/p1/images", () => []);
    api.on("GET", "/label-sets", () => [labelSet("reactive")]);
    api.on("GET", "/label-sets/reactive", () => labelSet("reactive"));
    api.on("GET", "/label-sets/reactive/queue", () => json({ detail: "No classifier yet." }, 409));
    signedIn();
    renderApp("/projects/p1/queue");
    const user = userEvent.setup();
    await screen.findByTestId("queue-no-classifier");
    const queueCalls = () =>
      api.calls.filter((call) => call.path.startsWith("/api/v1/label-sets/reactive/queue")).length;
    const before = queueCalls();
    await user.click(screen.getByRole("button", { name: "Load queue" }));
    await waitFor(() => expect(queueCalls()).toBe(before + 1));
  });
});
