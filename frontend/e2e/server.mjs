// Starts `hemosight serve` on a temporary data dir and a free port, with an admin account.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const repo = resolve(import.meta.dirname, "..", "..");

/** The CLI as [program, ...leading args]: the installed entry point, else the module. */
function hemosightCommand() {
  const installed = join(repo, ".venv", "bin", "hemosight");
  if (existsSync(installed)) return [installed];
  const python = join(repo, ".venv", "bin", "python");
  return [existsSync(python) ? python : "python3", "-m", "hemosight.cli"];
}

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

async function waitUntilReady(baseUrl, child, log, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`hemosight serve exited with ${child.exitCode}; see ${log}`);
    try {
      const response = await fetch(`${baseUrl}/api/v1/readyz`);
      const body = await response.json();
      last = JSON.stringify(body);
      if (response.ok && body.model_version) return body;
    } catch (error) {
      last = String(error);
    }
    await new Promise((wait) => setTimeout(wait, 1000));
  }
  throw new Error(
    `hemosight serve was not ready with a model after ${timeoutMs / 1000} s (last: ${last}); see ${log}`,
  );
}

/**
 * Options from the environment: HEMOSIGHT_E2E_MODEL (a bundle for --model; default: the shipped model),
 * HEMOSIGHT_E2E_KEEP=1 keeps the data dir for inspection.
 */
export async function startServer({ artifacts, username, password, createAdmin = true }) {
  const [program, ...lead] = hemosightCommand();
  const dataDir = mkdtempSync(join(tmpdir(), "hemosight-e2e-"));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;

  // createAdmin: false leaves the accounts empty, for the browser's first-run set-up.
  const admin = createAdmin
    ? spawnSync(
        program,
        [...lead, "create-admin", "--data-dir", dataDir, "--username", username, "--password-stdin"],
        { cwd: repo, input: `${password}\n`, encoding: "utf8" },
      )
    : null;
  if (admin && admin.status !== 0) throw new Error(`create-admin failed: ${admin.stderr || admin.stdout}`);

  const log = join(artifacts, "server.log");
  const out = openSync(log, "w");
  const model = process.env.HEMOSIGHT_E2E_MODEL ? ["--model", process.env.HEMOSIGHT_E2E_MODEL] : [];
  const child = spawn(program, [...lead, "serve", "--data-dir", dataDir, "--port", String(port), ...model], {
    cwd: repo,
    stdio: ["ignore", out, out],
    detached: true, // its own process group, so the worker it starts stops with it
  });
  const ready = await waitUntilReady(baseUrl, child, log, 180_000);

  async function stop() {
    if (child.exitCode === null) {
      process.kill(-child.pid, "SIGTERM");
      const exited = new Promise((done) => child.once("exit", done));
      const timeout = new Promise((done) => setTimeout(done, 15_000, "timeout"));
      if ((await Promise.race([exited, timeout])) === "timeout") process.kill(-child.pid, "SIGKILL");
    }
    if (process.env.HEMOSIGHT_E2E_KEEP !== "1") rmSync(dataDir, { recursive: true, force: true });
  }
  return { baseUrl, dataDir, modelVersion: ready.model_version, stop };
}
