import type { MessagePort } from "node:worker_threads";
import type { Dispatch, WireRequest, WireResponse } from "./in-process.ts";

/** The emulators the emulator thread serves. */
export type EmulatorName = "dynamodb" | "sqs";

interface Call {
  id: number;
  emulator: EmulatorName;
  request: WireRequest;
}

type Answer = { id: number; response: WireResponse } | { id: number; error: string };

/** In the emulator thread: answers the calls that arrive on `port` through the emulators' dispatches. */
export function answerCalls(port: MessagePort, dispatches: Record<EmulatorName, Dispatch>) {
  port.on("message", (call: Call) => {
    dispatches[call.emulator](call.request).then(
      (response) => port.postMessage({ id: call.id, response } satisfies Answer),
      (error: unknown) =>
        port.postMessage({
          id: call.id,
          error: error instanceof Error ? error.message : String(error),
        } satisfies Answer),
    );
  });
}

/**
 * On the handlers' thread: a dispatch per emulator that posts each call to the emulator
 * thread over `port` and waits for its answer. `fail` rejects every call in flight and every
 * later one, for when the thread has died.
 */
export function callsOver(port: MessagePort) {
  const waiting = new Map<
    number,
    { resolve(response: WireResponse): void; reject(error: Error): void }
  >();
  let nextId = 0;
  let failure: Error | undefined;
  port.on("message", (answer: Answer) => {
    const call = waiting.get(answer.id);
    waiting.delete(answer.id);
    if ("error" in answer) call?.reject(new Error(answer.error));
    else call?.resolve(answer.response);
  });
  const to =
    (emulator: EmulatorName): Dispatch =>
    (request) =>
      new Promise((resolve, reject) => {
        if (failure) return reject(failure);
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        port.postMessage({ id, emulator, request } satisfies Call);
      });
  return {
    dynamodb: to("dynamodb"),
    sqs: to("sqs"),
    fail(error: Error) {
      failure = error;
      for (const call of waiting.values()) call.reject(error);
      waiting.clear();
    },
  };
}
