import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { labelSet, learningCurve } from "../../test/factories";
import { fakeBackend, json, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

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
    api.on("GET", "/label-sets/([^/]+)/learning-curve", (_r, match) => learningCurve(match[1]));
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
    api.on("GET", "/label-sets/cell_type/learning-curve", () => learningCurve("cell_type"));
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
