import type { IpcErrorPayload } from '../../src-shared/ipc.ts';
import { UserError } from '../util/errors.ts';

export type ServiceErrorCode = IpcErrorPayload['code'];

/** A failed IPC call with a code the renderer can act on and a message meant for the user. */
export class ServiceError extends Error {
  readonly code: ServiceErrorCode;
  constructor(code: ServiceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServiceError';
    this.code = code;
  }
}

/**
 * Any thrown value -> the payload sent to the renderer. Unexpected errors keep their message
 * (it names the failing file or stage) but never a stack.
 */
export function toIpcError(err: unknown): IpcErrorPayload {
  if (err instanceof ServiceError) return { code: err.code, message: err.message };
  if (err instanceof UserError) return { code: 'failed', message: err.message };
  if (err instanceof Error) return { code: 'failed', message: err.message || err.name };
  return { code: 'failed', message: String(err) };
}
