import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { ImageSummary } from "../shared/api/types";
import { admin, fakeBackend, json, signedIn } from "./fakeBackend";
import { renderApp } from "./renderApp";

vi.mock("../shared/components/VegaChart", () => ({
  VegaChart: ({ label }: { label: string }) => <div role="img" aria-label={label} />,
}));

const project = {
  id: "p1",
  name: "Case 7",
  owner_id: "u1",
  members: ["ada"],
  created_at: "2026-11-23T10:00:00Z",
};

const summary = (
  id: string,
  label: string | null,
  confidence: number | null,
  status: ImageSummary["status"],
) => ({
  id,
  filename: `${id}.jpg`,
  status,
  label,
  label_set: label ? "cell_type" : null,
  reviewed_label: null,
  changed: false,
  unusable: null,
  usable_confirmed: false,
  neighbours_agree: null,
  needs_review: false,
  confidence,
  error: null,
  uploaded_at: "2026-11-23T10:00:00Z",
  job_id: `j-${id}`,
});

describe("sign in and session", () => {
  it("sends visitors to the sign-in page and signs them in with a form post", async () => {
    const api = fakeBackend();
    api.on("POST", "/auth/login", () => ({ access_token: "abc", token_type: "bearer", user: admin }));
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects", () => [project]);
    renderApp("/projects");

    await userEvent.type(await screen.findByLabelText("Username"), "ada");
    await userEvent.type(screen.getByLabelText("Password"), "correct horse");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByRole("link", { name: "Case 7" })).toBeInTheDocument();
    const login = api.calls.find((call) => call.path === "/api/v1/auth/login");
    expect(new URLSearchParams(login?.body)).toEqual(
      new URLSearchParams("username=ada&password=correct+horse&scope="),
    );
  });

  it("shows the backend's words when sign-in fails", async () => {
    const api = fakeBackend();
    api.on("POST", "/auth/login", () => json({ detail: "Wrong username or password." }, 401));
    renderApp("/login");
    await userEvent.type(screen.getByLabelText("Username"), "ada");
    await userEvent.type(screen.getByLabelText("Password"), "nope");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong username or password.");
  });

  it("returns to the sign-in page with a clear message when the session expires", async () => {
    const api = fakeBackend();
    const expired = () => json({ detail: "Your session has expired; sign in again." }, 401);
    api.on("GET", "/auth/me", expired);
    api.on("GET", "/projects", expired);
    signedIn();
    renderApp("/projects");
    expect(await screen.findByRole("button", { name: "Sign in" })).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("Your session has expired; sign in again.");
  });
});

describe("projects", () => {
  it("creates a project and opens it", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects", () => []);
    api.on("POST", "/projects", () => json(project, 201));
    api.on("GET", "/projects/p1", () => project);
    api.on("GET", "/projects/p1/images", () => []);
    signedIn();
    renderApp("/projects");
    await userEvent.type(await screen.findByLabelText(/New project/), "Case 7");
    await userEvent.click(screen.getByRole("button", { name: "Create project" }));
    expect(await screen.findByRole("heading", { name: "Case 7" })).toBeInTheDocument();
    expect(screen.getByText(/No cells in this project yet/)).toBeInTheDocument();
  });

  it("asks before deleting a project", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects", () => [project]);
    api.on("DELETE", "/projects/p1", () => new Response(null, { status: 204 }));
    signedIn();
    renderApp("/projects");
    await userEvent.click(await screen.findByRole("button", { name: "Delete Case 7" }));
    const dialog = screen.getByRole("dialog", { name: "Delete project?" });
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete project" }));
    await waitFor(() => expect(api.calls.some((call) => call.method === "DELETE")).toBe(true));
  });
});

describe("results", () => {
  it("lists cells, marks low confidence and filters by class", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project);
    api.on("GET", "/projects/p1/images", () => [
      summary("a", "neutrophil", 0.97, "done"),
      summary("b", "lymphocyte", 0.41, "done"),
      summary("c", null, null, "pending"),
    ]);
    signedIn();
    renderApp("/projects/p1/cells");
    const rows = await screen.findAllByTestId("cell-row");
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveClass("table-warning");
    expect(within(rows[1]).getByText("low")).toBeInTheDocument();
    expect(screen.getByText(/1 waiting for the classifier/)).toBeInTheDocument();

    await userEvent.selectOptions(screen.getByLabelText("Class"), "neutrophil");
    expect(screen.getAllByTestId("cell-row")).toHaveLength(1);
  });

  it("confirms the ticked cells that are still shown, in one request", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project);
    api.on("GET", "/projects/p1/images", () => [
      summary("a", "neutrophil", 0.97, "done"),
      summary("b", "lymphocyte", 0.91, "done"),
      summary("c", null, null, "pending"),
    ]);
    api.on("GET", "/label-sets", () => []);
    api.on("GET", "/label-sets/cell_type", () => ({
      name: "cell_type",
      updating: false,
      changed_image_ids: [],
    }));
    api.on("POST", "/labels/bulk", async (request) => {
      const body = await request.json();
      return json(
        body.items.map((item: { image_id: string }) => ({ image_id: item.image_id, label_set: "cell_type" })),
        201,
      );
    });
    signedIn();
    renderApp("/projects/p1/cells");
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

  it("says how many cells changed class at the last refit and filters on them", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project);
    api.on("GET", "/projects/p1/images", () => [
      { ...summary("a", "neutrophil", 0.97, "done"), changed: true },
      summary("b", "lymphocyte", 0.91, "done"),
      { ...summary("c", "monocyte", 0.88, "done"), changed: true },
    ]);
    api.on("GET", "/label-sets", () => []);
    signedIn();
    renderApp("/projects/p1/cells");
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
    api.on("GET", "/projects/p1", () => project);
    api.on("GET", "/projects/p1/images", () => [
      summary("a", "neutrophil", 0.97, "done"),
      { ...summary("w", "platelet", 0.94, "done"), unusable: reason, usable_confirmed: confirmed },
    ]);
    api.on("GET", "/label-sets", () => []);
    api.on("POST", "/images/w/confirm-usable", () => {
      confirmed = true;
      return { id: "w", usable_confirmed: true };
    });
    signedIn();
    renderApp("/projects/p1/cells");
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
    api.on("GET", "/projects/p1", () => project);
    api.on("GET", "/projects/p1/images", () => {
      calls += 1;
      return [calls === 1 ? summary("a", null, null, "running") : summary("a", "monocyte", 0.9, "done")];
    });
    signedIn();
    renderApp("/projects/p1/cells");
    expect(await screen.findByText("classifying")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("predicted-class")).toHaveTextContent("monocyte"), {
      timeout: 5000,
    });
  }, 10_000);

  it("shows per-file upload outcomes in words", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project);
    api.on("GET", "/projects/p1/images", () => []);
    signedIn();
    const send = vi.fn(async (_p: string, files: File[]) =>
      files.map((file) =>
        file.name === "broken.jpg"
          ? { filename: file.name, status: "rejected" as const, error: "Corrupt image: cannot be decoded." }
          : { filename: file.name, status: "accepted" as const, image_id: "x" },
      ),
    );
    renderApp("/projects/p1/cells", send);
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

describe("uploads across the app", () => {
  it("keep going while the user moves to another page", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects", () => [project]);
    api.on("GET", "/projects/p1", () => project);
    api.on("GET", "/projects/p1/images", () => []);
    signedIn();
    let release: () => void = () => {};
    const send = vi.fn(
      (_p: string, files: File[]) =>
        new Promise<{ filename: string; status: "accepted" }[]>((resolve) => {
          release = () => resolve(files.map((file) => ({ filename: file.name, status: "accepted" })));
        }),
    );
    renderApp("/projects/p1/cells", send);
    await userEvent.upload(
      await screen.findByLabelText(/Drop images here/),
      Array.from({ length: 12 }, (_, i) => new File(["x"], `cell-${i}.jpg`, { type: "image/jpeg" })),
    );
    const mainNav = screen.getByRole("navigation", { name: "Main" });
    await userEvent.click(within(mainNav).getByRole("link", { name: "Projects" }));
    expect(await screen.findByRole("heading", { name: "Projects" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: /Uploading: 0 of 12 files done/ })).toBeInTheDocument();

    release();
    await waitFor(() => expect(send).toHaveBeenCalledTimes(2));
    expect(send.mock.calls.map((call) => call[1].length)).toEqual([10, 2]);
    release();
    await waitFor(() => expect(screen.queryByRole("link", { name: /Uploading/ })).not.toBeInTheDocument());
  });
});

describe("cell details", () => {
  it("shows the label of every label set, the model version and the neighbours", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project);
    api.on("GET", "/projects/p1/images", () => [summary("a", "neutrophil", 0.93, "done")]);
    api.on("GET", "/images/a", () => ({
      ...summary("a", "neutrophil", 0.93, "done"),
      project_id: "p1",
      result: {
        model_version: "pbc-2026.11",
        label_set: "cell_type",
        label: "neutrophil",
        confidence: 0.93,
        labels: { cell_type: "neutrophil", nucleus_shape: "segmented" },
        probabilities: {
          cell_type: { neutrophil: 0.93, ig: 0.07 },
          nucleus_shape: { segmented: 0.8, band: 0.2 },
        },
        neighbours: [],
        landscape: { x: 1, y: 2 },
      },
    }));
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
    expect(screen.getByText("segmented", { selector: ".class-label" })).toBeInTheDocument();
    expect(await screen.findAllByTestId("neighbour")).toHaveLength(2);
    expect(screen.getByText("distance 0.120")).toBeInTheDocument();
    const thumbnail = screen.getByAltText("Reference cell 1: neutrophil");
    expect(thumbnail.getAttribute("src")).toBe("/api/v1/references/r1/thumbnail?access_token=t0k3n");
  });
});

describe("differential count and accounts", () => {
  it("shows count and percentage per class", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project);
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

  it("lets an admin create an account with a role", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/users", () => [admin]);
    api.on("POST", "/users", async (request) =>
      json({ id: "u2", ...(await request.json()), password: undefined }, 201),
    );
    signedIn();
    renderApp("/admin/accounts");
    await userEvent.type(await screen.findByLabelText("Username"), "bob");
    await userEvent.type(screen.getByLabelText("Password"), "long enough");
    await userEvent.selectOptions(screen.getByLabelText("Role"), "reviewer");
    await userEvent.click(screen.getByRole("button", { name: "Create" }));
    expect(await screen.findByText("Account bob created.")).toBeInTheDocument();
    const post = api.calls.find((call) => call.method === "POST");
    expect(JSON.parse(post?.body ?? "{}")).toEqual({
      username: "bob",
      password: "long enough",
      role: "reviewer",
    });
  });

  it("keeps the accounts page for admins", async () => {
    const api = fakeBackend();
    const pathologist = { ...admin, role: "pathologist" as const };
    api.on("GET", "/auth/me", () => pathologist);
    signedIn(pathologist);
    renderApp("/admin/accounts");
    expect(await screen.findByRole("alert")).toHaveTextContent("This page is for admins only.");
  });
});
