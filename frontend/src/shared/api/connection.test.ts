import { describe, expect, it, vi } from "vitest";
import { backoffMs, isOutage, ServerConnection } from "./connection";
import { ApiError } from "./errors";

describe("isOutage", () => {
  it("tells an absent server from one that refused the request", () => {
    expect(isOutage(new TypeError("Failed to fetch"))).toBe(true);
    expect(isOutage(new ApiError(502, "Bad gateway"))).toBe(true);
    expect(isOutage(new ApiError(503, "Unavailable"))).toBe(true);
    expect(isOutage(new ApiError(504, "Gateway timeout"))).toBe(true);
    expect(isOutage(new ApiError(500, "Bug"))).toBe(false);
    expect(isOutage(new ApiError(404, "Not found"))).toBe(false);
    expect(isOutage(new Error("other"))).toBe(false);
  });

  it("backs off 1, 2, 4, 8 s, then every 15 s", () => {
    expect([1, 2, 3, 4, 5, 9].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 15000, 15000]);
  });
});

describe("ServerConnection", () => {
  it("checks with backoff while the server is away, and tells everyone once it answers", async () => {
    const answers = [false, false, false, true];
    const probe = vi.fn(async () => answers.shift() ?? true);
    const pauses: number[] = [];
    const connection = new ServerConnection(probe, async (ms) => {
      pauses.push(ms);
    });
    const recovered = vi.fn();
    connection.onRecovered(recovered);
    const states: boolean[] = [];
    connection.subscribe(() => states.push(connection.getSnapshot().reachable));

    connection.suspect();
    connection.suspect(); // a second failed request during the check starts no second check
    const resumed = connection.whenReachable();
    await resumed;
    expect(probe).toHaveBeenCalledTimes(4);
    expect(pauses).toEqual([1000, 2000, 4000]);
    expect(states).toEqual([false, false, false, true]);
    expect(connection.getSnapshot()).toEqual({ reachable: true, nextCheckAt: null });
    expect(recovered).toHaveBeenCalledTimes(1);
    await expect(connection.whenReachable()).resolves.toBeUndefined();
  });

  it("stays calm when a suspected outage was none (the server answers the first check)", async () => {
    const connection = new ServerConnection(
      async () => true,
      async () => {},
    );
    const recovered = vi.fn();
    connection.onRecovered(recovered);
    const seen: boolean[] = [];
    connection.subscribe(() => seen.push(connection.getSnapshot().reachable));
    await connection.waitOut(1);
    expect(seen).toEqual([true]);
    expect(recovered).not.toHaveBeenCalled();
  });
});
