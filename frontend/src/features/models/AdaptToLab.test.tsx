import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { admin, project } from "../../test/factories";
import { fakeBackend, json, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

const caseProject = project();

vi.mock("../components/VegaChart", () => ({
  VegaChart: ({ label }: { label: string }) => <div role="img" aria-label={label} />,
}));

const model = (version: string, active: boolean, metrics: Record<string, unknown> = {}) => ({
  version,
  created: "2026-12-02T05:00:00Z",
  default_label_set: "cell_type",
  label_sets: { cell_type: ["lymphocyte", "neutrophil"] },
  metrics,
  comparable_metrics: {},
  reference_count: 3200,
  active,
  registered_at: "2026-12-02T05:00:00Z",
  registered_by: "ada",
  activated_at: null,
  stored: true,
});

const job = (status: string, phase: string, fraction: number, version: string | null = null) => ({
  id: "j1",
  kind: "adapt",
  status,
  phase,
  fraction,
  attempts: 1,
  error: null,
  model_version: version,
  params: {},
  created_by: "ada",
  created_at: "2026-12-02T05:00:00Z",
  updated_at: "2026-12-02T05:00:00Z",
});

const adaptedMetrics = {
  adaptation: { head: "lab" },
  lab: {
    cells: 25,
    old: { version: "v1", accuracy: 0.64, macro_f1: 0.68 },
    new: { version: "v1-lab", accuracy: 0.96, macro_f1: 0.957 },
  },
};

describe("adapt to this lab", () => {
  it("starts a job on the chosen projects, shows its progress, the scores beside the active model, and activates", async () => {
    const api = fakeBackend();
    let versions = [model("v1", true)];
    let polls = 0;
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects", () => [caseProject, { ...caseProject, id: "p2", name: "Case 8" }]);
    api.on("GET", "/model-versions", () => versions);
    api.on("POST", "/model-versions/adapt", () => json(job("pending", "queued", 0), 202));
    api.on("GET", "/model-versions/adapt/j1", () => {
      polls += 1;
      if (polls === 1) return job("running", "fine-tuning", 0.4);
      versions = [model("v1", true), model("v1-lab", false, adaptedMetrics)];
      return job("done", "done", 1, "v1-lab");
    });
    api.on("POST", "/model-versions/v1-lab/activate", () => {
      versions = [model("v1", false), model("v1-lab", true, adaptedMetrics)];
      return versions[1];
    });
    signedIn();
    renderApp("/models");

    const start = await screen.findByRole("button", { name: "Start adapting" });
    expect(start).toBeDisabled(); // no project chosen yet
    await userEvent.click(await screen.findByLabelText("Case 8"));
    await userEvent.clear(screen.getByLabelText("Fine-tune (minutes, 0: off)"));
    await userEvent.type(screen.getByLabelText("Fine-tune (minutes, 0: off)"), "3");
    await userEvent.click(start);

    const progress = await screen.findByRole("progressbar", { name: "Adaptation progress" });
    expect(progress).toHaveAttribute("aria-valuenow", "40");
    expect(progress).toHaveTextContent("fine-tuning (40 %)");
    const sent = JSON.parse(
      api.calls.find((c) => c.method === "POST" && c.path.endsWith("/adapt"))?.body ?? "{}",
    );
    expect(sent).toMatchObject({ project_ids: ["p2"], fine_tune_minutes: 3, head: "auto", scale: true });

    const result = await screen.findByTestId("adapt-result", {}, { timeout: 6000 });
    const table = within(result).getByRole("table", { name: "Scores on the lab's labelled cells" });
    expect(within(table).getByRole("row", { name: /Active: v1/ })).toHaveTextContent("64.0 %");
    expect(within(table).getByRole("row", { name: /New: v1-lab/ })).toHaveTextContent("95.7 %");
    expect(result).toHaveTextContent("Head: lab");

    await userEvent.click(within(result).getByRole("button", { name: "Activate v1-lab" }));
    expect(await within(result).findByText(/v1-lab is active/)).toBeInTheDocument();
  }, 15000);

  it("says in words why a job could not start", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects", () => [caseProject]);
    api.on("GET", "/model-versions", () => [model("v1", true)]);
    api.on("POST", "/model-versions/adapt", () =>
      json({ detail: "Adapting needs at least 50 of the lab's cells; the chosen project(s) have 7." }, 400),
    );
    signedIn();
    renderApp("/models");
    await userEvent.click(await screen.findByLabelText("Case 7"));
    await userEvent.click(screen.getByRole("button", { name: "Start adapting" }));
    expect(await screen.findByText(/at least 50 of the lab's cells/)).toBeInTheDocument();
    expect(screen.queryByRole("progressbar", { name: "Adaptation progress" })).not.toBeInTheDocument();
  });
});
