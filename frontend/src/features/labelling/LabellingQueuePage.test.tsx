import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import {
  customLabelSet,
  imageDetail,
  imageSummary,
  labelEvent,
  labelQueue,
  project,
  queueItem,
} from "../../test/factories";
import { fakeBackend, json, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

describe("labelling queue without a classifier", () => {
  it("replaces the 'no classifier' note with the queue once a refit produced a classifier", async () => {
    const api = fakeBackend();
    let ready = false;
    const image = (id: string) => imageSummary(id, { label: "lymphocyte", confidence: 0.9 });
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/model-versions", () => []);
    api.on("GET", "/projects/p1/images", () => [image("a"), image("b")]);
    api.on("GET", "/images/([^/]+)", (_r, match) => imageDetail(match[1]));
    api.on("GET", "/label-sets", () => [customLabelSet()]);
    api.on("GET", "/label-sets/reactive", () =>
      ready ? customLabelSet({ status: "ready", classifier_version: 1, message: null }) : customLabelSet(),
    );
    api.on("GET", "/label-sets/reactive/queue", () =>
      ready
        ? labelQueue("reactive", { review: [queueItem("b", { label: "normal" })], candidates: 1 })
        : json(
            { detail: "2 cell(s) labelled, all as 'normal'; label cells of at least one more class." },
            409,
          ),
    );
    api.on("POST", "/images/a/labels", () => {
      ready = true; // the worker's refit is instant here
      return json(labelEvent("e1", { label_set: "reactive", label: "reactive lymphocyte" }), 201);
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
    await user.click(await screen.findByRole("button", { name: /Reactive lymphocyte/ }));
    let refitDone: (() => void) | undefined;
    const refitting = new Promise<void>((done) => {
      refitDone = done;
    });
    api.on("GET", "/label-sets/reactive", async () => {
      await refitting;
      return customLabelSet({ status: "ready", classifier_version: 1, message: null });
    });
    await user.click(screen.getByRole("button", { name: /Save as Reactive lymphocyte/ }));
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
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/model-versions", () => []);
    api.on("GET", "/projects/p1/images", () => []);
    api.on("GET", "/label-sets", () => [customLabelSet()]);
    api.on("GET", "/label-sets/reactive", () => customLabelSet());
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
