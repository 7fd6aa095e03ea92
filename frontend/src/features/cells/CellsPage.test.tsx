import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { admin, capabilities, imageSummary, labelSet, project } from "../../test/factories";
import { fakeBackend, json, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

describe("results", () => {
  it("lists cells, marks low confidence and filters by class", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/projects/p1/images", () => [
      imageSummary("a", { label: "neutrophil", confidence: 0.97 }),
      imageSummary("b", {
        label: "lymphocyte",
        confidence: 0.41,
        runner_up: "monocyte",
        runner_up_probability: 0.38,
      }),
      imageSummary("c", { status: "pending" }),
    ]);
    signedIn();
    renderApp("/projects/p1/cells?view=table");
    const rows = await screen.findAllByTestId("cell-row");
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveClass("table-warning");
    expect(within(rows[1]).getByText("low")).toBeInTheDocument();
    // The runner-up class sits beside the confidence, in the lab's words.
    expect(within(rows[1]).getByTestId("runner-up")).toHaveTextContent("runner-up Monocyte 38%");
    expect(within(rows[0]).queryByTestId("runner-up")).toBeNull();
    expect(screen.getByText(/1 waiting for the classifier/)).toBeInTheDocument();

    await userEvent.selectOptions(screen.getByLabelText("Class"), "neutrophil");
    expect(screen.getAllByTestId("cell-row")).toHaveLength(1);
  });

  it("filters by the class the lab differential counts a cell under, with the lab's names and counts", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project());
    // The API's lab_label / counted follow the differential's own rule (tested in the backend suite).
    api.on("GET", "/projects/p1/images", () => [
      imageSummary("a", { label: "neutrophil", lab_label: "neutrophil", counted: true }),
      // Predicted neutrophil, corrected to ig: the differential counts it as ig.
      imageSummary("b", { label: "neutrophil", lab_label: "ig", reviewed_label: "ig", counted: true }),
      // Flagged as not a usable cell: the differential leaves it out.
      imageSummary("c", { label: "neutrophil", lab_label: "neutrophil", counted: false, unusable: "blank" }),
      imageSummary("d", { label: "ig", lab_label: "ig", counted: true }),
    ]);
    signedIn();
    renderApp("/projects/p1/cells?view=table");
    await screen.findAllByTestId("cell-row");
    const options = within(screen.getByLabelText("Class")).getAllByRole("option");
    expect(options.map((option) => option.textContent)).toEqual([
      "All classes",
      "Neutrophil (1)",
      "Immature granulocyte (2)",
    ]);
    await userEvent.selectOptions(screen.getByLabelText("Class"), "ig");
    const rows = screen.getAllByTestId("cell-row");
    expect(rows.map((row) => within(row).getByRole("link", { name: /\.jpg$/ }).textContent)).toEqual([
      "b.jpg",
      "d.jpg",
    ]);
    expect(rows[0]).toHaveTextContent("reviewed: Immature granulocyte");
  });

  it("confirms the ticked cells that are still shown, in one request", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/projects/p1/images", () => [
      imageSummary("a", { label: "neutrophil", confidence: 0.97 }),
      imageSummary("b", { label: "lymphocyte", confidence: 0.91 }),
      imageSummary("c", { status: "pending" }),
    ]);
    api.on("GET", "/label-sets", () => []);
    api.on("GET", "/label-sets/cell_type", () => labelSet("cell_type"));
    signedIn();
    renderApp("/projects/p1/cells?view=table");
    await screen.findAllByTestId("cell-row");
    expect(screen.getByLabelText("Select c.jpg")).toBeDisabled();
    await userEvent.click(screen.getByLabelText("Select every cell shown"));
    expect(screen.getByTestId("bulk-count")).toHaveTextContent("2 cells selected");
    // A filter hides cell b: the selection acts only on what the reviewer still sees.
    await userEvent.selectOptions(screen.getByLabelText("Class"), "neutrophil");
    expect(screen.getByTestId("bulk-count")).toHaveTextContent("1 cell selected");
    await userEvent.click(screen.getByRole("button", { name: "Confirm predicted class" }));
    expect(await screen.findByTestId("bulk-outcome")).toHaveTextContent(
      "Confirmed the predicted class of 1 cell.",
    );
    const post = api.calls.find((call) => call.method === "POST" && call.path === "/api/v1/labels/bulk");
    expect(JSON.parse(post?.body ?? "{}")).toEqual({
      label_set: "cell_type",
      action: "confirm",
      items: [{ image_id: "a" }],
    });
  });

  it("asks for a reason before a bulk change in a signed-off case, and sends it", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project({ status: "signed_off" }));
    api.on("GET", "/projects/p1/capabilities", () =>
      capabilities({ status: "signed_off", sign_off: false, reopen: true, label_needs_reason: true }),
    );
    api.on("GET", "/projects/p1/images", () => [
      imageSummary("a", { label: "neutrophil", confidence: 0.97 }),
    ]);
    api.on("GET", "/label-sets", () => [labelSet("cell_type")]);
    api.on("POST", "/labels/bulk", () => json([{ image_id: "a", label_set: "cell_type" }], 201));
    signedIn();
    renderApp("/projects/p1/cells?view=table");
    await userEvent.click(await screen.findByLabelText("Select a.jpg"));
    const confirm = screen.getByRole("button", { name: "Confirm predicted class" });
    expect(confirm).toBeDisabled();
    await userEvent.type(screen.getByLabelText("Reason for the change (the case is signed off)"), "recount");
    await userEvent.click(confirm);
    await screen.findByTestId("bulk-outcome");
    const post = api.calls.find((call) => call.method === "POST" && call.path === "/api/v1/labels/bulk");
    expect(JSON.parse(post?.body ?? "{}")).toMatchObject({ action: "confirm", reason: "recount" });
  });

  it("says how many cells changed class at the last refit and filters on them", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/projects/p1/images", () => [
      { ...imageSummary("a", { label: "neutrophil", confidence: 0.97 }), changed: true },
      imageSummary("b", { label: "lymphocyte", confidence: 0.91 }),
      { ...imageSummary("c", { label: "monocyte", confidence: 0.88 }), changed: true },
    ]);
    api.on("GET", "/label-sets", () => []);
    signedIn();
    renderApp("/projects/p1/cells?view=table");
    expect(await screen.findByTestId("changed-notice")).toHaveTextContent(
      "2 cells changed class since your last correction.",
    );
    expect(screen.getAllByTestId("cell-row")).toHaveLength(3);
    await userEvent.click(screen.getByRole("button", { name: "Show them" }));
    const rows = screen.getAllByTestId("cell-row");
    expect(rows.map((row) => within(row).getByRole("link", { name: /\.jpg$/ }).textContent)).toEqual([
      "a.jpg",
      "c.jpg",
    ]);
    expect(screen.getByLabelText("Only cells whose prediction changed at the last refit")).toBeChecked();
  });

  it("marks an unusable cell with the reason and counts it once someone confirms it", async () => {
    const api = fakeBackend();
    let confirmed = false;
    const reason = "Blank or uniform image: there is almost no contrast, so no cell can be seen.";
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/projects/p1/images", () => [
      imageSummary("a", { label: "neutrophil", confidence: 0.97 }),
      {
        ...imageSummary("w", { label: "platelet", confidence: 0.94 }),
        unusable: reason,
        usable_confirmed: confirmed,
      },
    ]);
    api.on("GET", "/label-sets", () => []);
    api.on("POST", "/images/w/confirm-usable", () => {
      confirmed = true;
      return { id: "w", usable_confirmed: true };
    });
    signedIn();
    renderApp("/projects/p1/cells?view=table");
    const note = await screen.findByTestId("unusable");
    expect(note).toHaveTextContent(`Not a usable cell, not counted: ${reason}`);
    expect(screen.getAllByTestId("cell-row")[1]).toHaveClass("table-danger");
    await userEvent.click(within(note).getByRole("button", { name: "It is a cell: count it" }));
    expect(await screen.findByTestId("usable-confirmed")).toHaveTextContent("confirmed as a cell: counted");
    expect(
      api.calls.some((call) => call.method === "POST" && call.path === "/api/v1/images/w/confirm-usable"),
    ).toBe(true);
  });

  it("updates by itself while cells are waiting for the worker", async () => {
    const api = fakeBackend();
    let calls = 0;
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/projects/p1/images", () => {
      calls += 1;
      return [
        calls === 1
          ? imageSummary("a", { status: "running" })
          : imageSummary("a", { label: "monocyte", confidence: 0.9 }),
      ];
    });
    signedIn();
    renderApp("/projects/p1/cells?view=table");
    expect(await screen.findByText("classifying")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("predicted-class")).toHaveTextContent("Monocyte"), {
      timeout: 5000,
    });
  }, 10_000);

  it("shows per-file upload outcomes in words", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/projects/p1/images", () => []);
    signedIn();
    const send = vi.fn(async (_p: string, files: File[]) =>
      files.map((file) =>
        file.name === "broken.jpg"
          ? { filename: file.name, status: "rejected" as const, error: "Corrupt image: cannot be decoded." }
          : { filename: file.name, status: "accepted" as const, image_id: "x" },
      ),
    );
    renderApp("/projects/p1/cells?view=table", send);
    const input = await screen.findByLabelText(/Drop images here/);
    await userEvent.upload(input, [
      new File(["a"], "good.jpg", { type: "image/jpeg" }),
      new File(["b"], "broken.jpg", { type: "image/jpeg" }),
    ]);
    expect(await screen.findByText("Corrupt image: cannot be decoded.")).toBeInTheDocument();
    expect(screen.getByText("2 of 2 files done")).toBeInTheDocument();
    expect(screen.getByText("uploaded")).toBeInTheDocument();
  });
});
