import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import {
  cellResult,
  customLabelSet,
  imageDetail,
  labelQueue,
  project,
  queueItem,
} from "../../test/factories";
import { fakeBackend, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

describe("the labelling queue's confidence", () => {
  it("names the runner-up class beside the confidence of the cell being labelled", async () => {
    const api = fakeBackend();
    api.on("GET", "/projects/p1", () => project());
    api.on("GET", "/model-versions", () => []);
    api.on("GET", "/projects/p1/images", () => []);
    api.on("GET", "/label-sets", () => [customLabelSet()]);
    api.on("GET", "/label-sets/reactive", () =>
      customLabelSet({ status: "ready", classifier_version: 1, message: null }),
    );
    api.on("GET", "/label-sets/reactive/queue", () =>
      labelQueue("reactive", {
        review: [queueItem("b", { label: "normal", confidence: 0.64 })],
        candidates: 1,
      }),
    );
    api.on("GET", "/images/b", () =>
      imageDetail("b", {
        result: cellResult({
          labels: { cell_type: "lymphocyte", reactive: "normal" },
          probabilities: { reactive: { normal: 0.64, "reactive lymphocyte": 0.36 } },
        }),
      }),
    );
    signedIn();
    renderApp("/projects/p1/queue");
    const user = userEvent.setup();
    await user.selectOptions(await screen.findByLabelText("Label set"), "reactive");
    await user.click(screen.getByRole("button", { name: "Load queue" }));
    expect(await screen.findByTestId("queue-confidence")).toHaveTextContent(
      "64% · runner-up Reactive lymphocyte 36%",
    );
  });
});
