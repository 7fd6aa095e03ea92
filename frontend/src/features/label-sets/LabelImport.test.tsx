import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../../shared/api/errors";
import { importLabels } from "../../shared/api/labelImport";
import { customLabelSet, importProblem, importRejected, learningCurve, user } from "../../test/factories";
import { fakeBackend, json, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

// XMLHttpRequest (for upload progress) is not faked: the upload itself is.
vi.mock("../../shared/api/labelImport", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../../shared/api/labelImport")>()),
  importLabels: vi.fn(),
}));

function labelSetsBackend() {
  const api = fakeBackend();
  api.on("GET", "/label-sets", () => [customLabelSet()]);
  api.on("GET", "/label-sets/reactive", () => customLabelSet());
  api.on("GET", "/label-sets/reactive/learning-curve", () => learningCurve("reactive"));
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
    const body = importRejected([importProblem(3)]);
    vi.mocked(importLabels).mockRejectedValue(new ApiError(400, body.detail, body));
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
    signedIn(user({ role: "pathologist" }));
    renderApp("/label-sets");
    expect(await screen.findByText(/No points yet/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Add classes" })).toBeInTheDocument();
    expect(screen.queryByLabelText(/Import labels/)).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Export label history/ })).not.toBeInTheDocument();
  });
});
