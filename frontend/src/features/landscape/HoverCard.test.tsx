import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { AppProviders } from "../../app/AppProviders";
import { createQueryClient } from "../../app/queryClient";
import { fakeBackend, signedIn } from "../../test/fakeBackend";
import { HoverCard } from "./HoverCard";

describe("the landscape's hover card", () => {
  it("names the runner-up class beside the confidence of a case's cell, in the lab's words", async () => {
    fakeBackend();
    signedIn();
    const point = {
      kind: "cell" as const,
      label: "neutrophil",
      image_id: "a",
      confidence: 0.62,
      runner_up: "ig",
      runner_up_probability: 0.31,
    };
    render(
      <AppProviders queryClient={createQueryClient()}>
        <HoverCard hover={{ point, x: 0, y: 0 }} modelVersion={null} />
      </AppProviders>,
    );
    expect(await screen.findByText(/runner-up Immature granulocyte 31%/)).toHaveTextContent(
      "confidence 62% · runner-up Immature granulocyte 31%",
    );
  });
});
