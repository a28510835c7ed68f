/**
 * SDK-level stubs for APIs moto does not emulate (multi-account Automation) and for failure modes
 * it cannot produce on demand (throttling). The client is a real SDK client; only `send` is replaced,
 * so the handler code under test is unchanged.
 */

export interface SentCommand {
  name: string;
  input: Record<string, unknown>;
}

type Responder = (command: SentCommand) => unknown;

/** Replaces `client.send`; returns the list of commands sent, in order. */
export function stubSend(client: object, respond: Responder): SentCommand[] {
  const sent: SentCommand[] = [];
  const target = client as { send: (command: { constructor: { name: string }; input: Record<string, unknown> }) => Promise<unknown> };
  target.send = async (command) => {
    const entry = { name: command.constructor.name.replace(/Command$/, ""), input: command.input };
    sent.push(entry);
    return respond(entry);
  };
  return sent;
}

/** Records calls that `client.send` passes through to the real implementation (e.g. moto). */
export function spySend(client: object): SentCommand[] {
  const sent: SentCommand[] = [];
  const target = client as { send: (command: { constructor: { name: string }; input: Record<string, unknown> }) => Promise<unknown> };
  const original = target.send.bind(client);
  target.send = (command) => {
    sent.push({ name: command.constructor.name.replace(/Command$/, ""), input: structuredClone(command.input) });
    return original(command);
  };
  return sent;
}

/** An error shaped like the SDK's service exceptions (only `name` matters to the handlers). */
export function awsError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** A sleep that records requested delays and returns at once. */
export function recordingSleep(): { delays: number[]; sleep: (ms: number) => Promise<void> } {
  const delays: number[] = [];
  return { delays, sleep: async (ms) => void delays.push(ms) };
}
