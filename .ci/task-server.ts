/**
 * The end-to-end script's task runner: one Hardhat process, started by `.ci/e2e` with
 * `hardhat --network consortium run --no-compile .ci/task-server.ts`, that runs each `careledger:*` task the script
 * asks for with `hre.run`, so the ~125 task calls share one Hardhat start (about 2.5 s each) instead of paying one
 * each. It listens on the Unix socket named by `E2E_TASK_SOCKET`; a request is the command line after
 * `hardhat --network consortium` (a JSON array of strings), the answer the task's output, stdout and stderr in the
 * order written, and the exit code the command line would have had.
 *
 * What the command line does around a task is done here the same way: the arguments are parsed by Hardhat's own
 * parser against the task's definition (so types, flags and required options are checked as the CLI checks them),
 * and a failure prints as the CLI prints it on a CI server: "Error in plugin careledger: …" (or "Error HH…: …"),
 * then, for anything but an operator's one-line error (tasks/util.ts operatorError), its stack trace, so the script's
 * no-stack-trace check keeps its teeth. `.ci/e2e` still runs a few calls through the
 * real command line, for what only it can prove.
 */
import fs from "node:fs";
import http from "node:http";
import { inspect } from "node:util";

import hre from "hardhat";
import { ArgumentsParser } from "hardhat/internal/cli/ArgumentsParser";
import { HardhatError } from "hardhat/internal/core/errors";
import { HardhatPluginError } from "hardhat/plugins";

interface Answer {
  output: string;
  code: number;
}

/** Runs `argv` (a task name and its options) as `hardhat --network <network> …` would, capturing what it prints. */
async function runTask(argv: string[]): Promise<Answer> {
  let output = "";
  // Stands in for a stream's write(chunk, [encoding], [callback]): a caller waiting for the callback gets it.
  const capture = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    output += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    const callback = rest.find((argument) => typeof argument === "function") as (() => void) | undefined;
    if (callback !== undefined) process.nextTick(callback);
    return true;
  };
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  process.stdout.write = capture;
  process.stderr.write = capture;
  const exitCodeBefore = process.exitCode;
  process.exitCode = undefined;
  let code = 0;
  try {
    const [name = "", ...rest] = argv;
    const definition = hre.tasks[name];
    if (definition === undefined || definition.isSubtask) {
      throw new Error(`the task runner knows no task ${name}`);
    }
    await hre.run(name, new ArgumentsParser().parseTaskArguments(definition, rest));
    code = pendingExitCode(); // a task may fail by setting process.exitCode rather than throwing
  } catch (error) {
    printError(error);
    code = 1;
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
    process.exitCode = exitCodeBefore;
  }
  return { output, code };
}

function pendingExitCode(): number {
  const code = process.exitCode;
  return code === undefined ? 0 : Number(code);
}

/** Prints a failed task's error as Hardhat's command line prints it on a CI server (its stack traces shown). */
function printError(error: unknown): void {
  if (HardhatError.isHardhatError(error)) {
    console.error(`Error ${error.message}`);
  } else if (HardhatPluginError.isHardhatPluginError(error)) {
    console.error(`Error in plugin ${error.pluginName}: ${error.message}`);
  } else {
    console.error(error instanceof Error ? "An unexpected error occurred:" : "An unexpected error occurred.");
  }
  console.log("");
  // On a CI server the command line then prints the error itself: nothing for an operator's error (tasks/util.ts
  // operatorError, which here would print its one line again), the stack trace for anything else.
  const shown = inspect(error);
  if (!(error instanceof Error) || shown !== `${error.name}: ${error.message}`) console.error(shown);
}

function main(): void {
  const socket = process.env.E2E_TASK_SOCKET;
  if (socket === undefined || socket === "") throw new Error("E2E_TASK_SOCKET names no socket");
  // One task at a time, in the order asked: the script waits for each answer before its next call.
  let queue: Promise<unknown> = Promise.resolve();
  const server = http.createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      queue = queue
        .then(async () => {
          const argv = JSON.parse(body) as string[];
          const answer = await runTask(argv);
          response.setHeader("content-type", "application/json");
          response.end(JSON.stringify(answer));
        })
        .catch((error: unknown) => {
          // A malformed request: answer it as a failure, and keep serving the next.
          response.setHeader("content-type", "application/json");
          response.end(JSON.stringify({ output: `task runner: ${String(error)}\n`, code: 1 } satisfies Answer));
        });
    });
  });
  if (fs.existsSync(socket)) fs.unlinkSync(socket);
  server.listen(socket, () => {
    console.log(`task runner for network ${hre.network.name} listening on ${socket}`);
  });
}

main();
