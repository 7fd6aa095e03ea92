import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { admin, modelVersion, project, user } from "../../test/factories";
import { fakeBackend, json, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

describe("models page", () => {
  it("lists versions with their metrics and activates one after confirmation", async () => {
    const api = fakeBackend();
    let versions = [
      modelVersion("v1", { active: true, macroF1: 0.9 }),
      modelVersion("v2", { active: false, macroF1: 0.95 }),
    ];
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/model-versions", () => versions);
    api.on("POST", "/model-versions/v2/activate", () => {
      versions = [
        modelVersion("v1", { active: false, macroF1: 0.9 }),
        modelVersion("v2", { active: true, macroF1: 0.95 }),
      ];
      return versions[1];
    });
    signedIn();
    renderApp("/models");

    expect(await screen.findByRole("rowheader", { name: "v1" })).toBeInTheDocument();
    const rows = screen.getAllByTestId("model-row");
    expect(within(rows[0]).getByText("Active")).toBeInTheDocument();
    expect(within(rows[0]).getByText("90.0 %")).toBeInTheDocument();
    expect(within(rows[0]).getByText("96 px")).toBeInTheDocument();
    expect(screen.getByText("+5.0 pts")).toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Activate model v2" }));
    const dialog = screen.getByRole("dialog", { name: "Activate this model?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Activate model" }));
    expect(await screen.findByText(/v2 is now the active model/)).toBeInTheDocument();
    expect(api.calls.some((call) => call.method === "POST" && call.path.endsWith("/v2/activate"))).toBe(true);
  });

  it("explains a failed roll back in words", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/model-versions", () => [modelVersion("v1", { active: true, macroF1: 0.9 })]);
    api.on("POST", "/model-versions/rollback", () =>
      json({ detail: "There is no earlier active version to roll back to." }, 409),
    );
    signedIn();
    renderApp("/models");
    await userEvent.click(await screen.findByRole("button", { name: "Roll back to previous" }));
    await userEvent.click(screen.getByRole("button", { name: "Roll back" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("no earlier active version");
  });

  it("is for admins only", async () => {
    const api = fakeBackend();
    const pathologist = user({ role: "pathologist" });
    api.on("GET", "/auth/me", () => pathologist);
    signedIn(pathologist);
    renderApp("/models");
    expect(await screen.findByText(/for admins only/)).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Models" })).not.toBeInTheDocument();
  });

  it("re-scores a project with the active model after confirmation", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/projects/p1/images", () => []);
    api.on("GET", "/model-versions", () => [modelVersion("v2", { active: true, macroF1: 0.95 })]);
    api.on("POST", "/projects/p1/rescore", () =>
      json({ project_id: "p1", model_version: "v2", queued: 12 }, 202),
    );
    signedIn();
    renderApp("/projects/p1/cells");
    await userEvent.click(await screen.findByRole("button", { name: "Re-score with active model" }));
    const dialog = screen.getByRole("dialog", { name: "Re-score this project?" });
    expect(dialog).toHaveTextContent("v2");
    await userEvent.click(within(dialog).getByRole("button", { name: "Re-score project" }));
    expect(await screen.findByText(/12 cells queued for v2/)).toBeInTheDocument();
  });
});
