/**
 * Starts a moto server (AWS API emulator) for one test file:
 *
 *   const moto = await startMoto();          // null when moto_server is absent outside CI
 *   afterAll(() => moto?.stop());
 *
 * moto_server runs in its own process group on a free loopback port; stop() ends the whole group and
 * an exit hook kills it too if a test run is torn down without afterAll.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export interface MotoServer {
  /** e.g. http://127.0.0.1:45123 */
  readonly endpoint: string;
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** Kills the server's process group; safe to call twice. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;

/**
 * Runs moto_server ("$@") and kills it when our stdin pipe closes, i.e. when the test process dies
 * without calling stop() (even by SIGKILL). fd 3 keeps the pipe: background jobs get /dev/null as stdin.
 */
const WATCHDOG = `exec 3<&0
"$@" </dev/null 3<&- &
moto=$!
{ cat <&3 >/dev/null; kill "$moto" 2>/dev/null; } &
wait "$moto"`;
const STOP_TIMEOUT_MS = 5_000;

/** Path of the moto_server executable on PATH, or undefined. */
export function findMotoServer(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, "moto_server");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * Whether emulator-backed tests can run. Throws in CI (CI=true), where moto is required; elsewhere
 * warns once and returns false so those tests are skipped visibly.
 */
export function motoAvailable(): boolean {
  if (findMotoServer()) return true;
  if (process.env.CI === "true") {
    throw new Error("moto_server is not on PATH; CI requires it (pip install -r requirements-dev.txt)");
  }
  console.warn("moto_server not found on PATH: skipping emulator-backed lambda tests (pip install 'moto[server]')");
  return false;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

async function waitUntilReady(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`moto_server exited (${child.exitCode ?? child.signalCode}) before answering:\n${output()}`);
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${READY_TIMEOUT_MS} ms:\n${output()}`);
}

async function launch(bin: string): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn("/bin/sh", ["-c", WATCHDOG, "moto-watchdog", bin, "-H", "127.0.0.1", "-p", String(port)], {
    detached: true, // own process group: stop() reaches moto_server and anything its launcher forked
    stdio: ["pipe", "ignore", "pipe"],
  });
  let tail = "";
  // Drained continuously: moto logs every request, and a full pipe would stall the server.
  child.stderr?.on("data", (data: Buffer) => {
    tail = (tail + data.toString()).slice(-4000);
  });
  const onExit = (): void => killGroup(child, "SIGKILL");
  process.once("exit", onExit);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= new Promise<void>((resolve) => {
      process.removeListener("exit", onExit);
      if (child.exitCode !== null || child.signalCode !== null) {
        killGroup(child, "SIGKILL");
        resolve();
        return;
      }
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), STOP_TIMEOUT_MS);
      child.once("exit", () => {
        clearTimeout(timer);
        killGroup(child, "SIGKILL"); // anything left in the group
        child.stderr?.destroy();
        resolve();
      });
      killGroup(child, "SIGTERM");
    });
    return stopped;
  };

  try {
    await waitUntilReady(endpoint, child, () => tail);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    endpoint,
    stop,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
  };
}

/** Starts moto_server; null when it is not installed outside CI (see motoAvailable). */
export async function startMoto(): Promise<MotoServer | null> {
  if (!motoAvailable()) return null;
  const bin = findMotoServer() as string;
  let lastError: unknown;
  // A free port can be taken between probing and binding; try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launch(bin);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

const FAKE_ENV: Record<string, string> = {
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_REGION: "us-east-1",
  AWS_DEFAULT_REGION: "us-east-1",
  AWS_EC2_METADATA_DISABLED: "true",
  // SDK 3.1164 warns once per process on Node < 22; the Lambda runtime pin is the deploy side's decision.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  // A developer's own ~/.aws files must not leak profiles or endpoints into tests.
  AWS_CONFIG_FILE: path.join(os.tmpdir(), "aft-fleet-tests-no-aws-config"),
  AWS_SHARED_CREDENTIALS_FILE: path.join(os.tmpdir(), "aft-fleet-tests-no-aws-credentials"),
};
const CLEARED_ENV = ["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL_S3"];

/**
 * Sets fake credentials and Region (and AWS_ENDPOINT_URL when an endpoint is given) for SDK clients
 * created afterwards; returns a function restoring the previous environment.
 */
export function useFakeAwsEnv(endpoint?: string): () => void {
  const keys = [...Object.keys(FAKE_ENV), ...CLEARED_ENV, "AWS_ENDPOINT_URL"];
  const saved = new Map(keys.map((key) => [key, process.env[key]]));
  for (const key of CLEARED_ENV) delete process.env[key];
  Object.assign(process.env, FAKE_ENV);
  if (endpoint) process.env.AWS_ENDPOINT_URL = endpoint;
  else delete process.env.AWS_ENDPOINT_URL;
  return () => {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}
