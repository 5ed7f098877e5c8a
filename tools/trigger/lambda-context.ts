/**
 * The Lambda context object and error shape, shared by the in-process invoker and the child
 * runner (which must stay small: it is bundled into every child process).
 */
import { randomUUID } from 'node:crypto';

/** The context the emulator passes (the fields Node.js handlers commonly read). */
export interface EmulatedContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  getRemainingTimeInMillis(): number;
  callbackWaitsForEmptyEventLoop: boolean;
}

/** Lambda's error answer: `errorType` is the thrown error's name. */
export interface InvokeError {
  errorType: string;
  errorMessage: string;
}

export function emulatedContext(
  functionName: string,
  region: string,
  requestId: string,
  deadline: number,
): EmulatedContext {
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId || randomUUID(),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    callbackWaitsForEmptyEventLoop: true,
  };
}

export function errorOutcome(error: unknown): InvokeError {
  return {
    errorType: error instanceof Error ? error.name : typeof error,
    errorMessage: error instanceof Error ? error.message : String(error),
  };
}

/** What Lambda reports when a function runs past its timeout. */
export function timeoutError(timeoutMs: number): InvokeError {
  return {
    errorType: 'Sandbox.Timedout',
    errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
  };
}
