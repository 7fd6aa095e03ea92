import { render, screen } from "@testing-library/react";
import { expect, it, vi } from "vitest";
import { ErrorBoundary } from "./ErrorBoundary";

function Broken(): never {
  throw new Error("Cannot read the landscape coordinates.");
}

it("shows a readable message instead of a blank page", () => {
  vi.spyOn(console, "error").mockImplementation(() => {});
  render(
    <ErrorBoundary>
      <Broken />
    </ErrorBoundary>,
  );
  expect(screen.getByRole("alert")).toHaveTextContent("This screen could not be shown");
  expect(screen.getByRole("alert")).toHaveTextContent("Cannot read the landscape coordinates.");
});
