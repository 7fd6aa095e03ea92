import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { admin, project } from "../../test/factories";
import { fakeBackend, signedIn } from "../../test/fakeBackend";
import { renderApp } from "../../test/renderApp";

describe("uploads across the app", () => {
  it("keep going while the user moves to another page", async () => {
    const api = fakeBackend();
    api.on("GET", "/auth/me", () => admin);
    api.on("GET", "/projects", () => [project()]);
    api.on("GET", "/projects/p1", () => project());
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
