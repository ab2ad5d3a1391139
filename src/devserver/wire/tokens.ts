/** Opaque task tokens: the SDK only hands them back, so they carry what the engine needs to find the task. */
import { invalidArgument } from './errors.js';

export interface WorkflowTaskToken {
  k: 'wft';
  ns: string;
  wid: string;
  rid: string;
  sid: number;
  att: number;
  gen: number;
}
export interface ActivityTaskToken {
  k: 'act';
  ns: string;
  wid: string;
  rid: string;
  sid: number;
  att: number;
  aid: string;
}
export interface QueryTaskToken {
  k: 'qry';
  id: string;
}
export type TaskToken = WorkflowTaskToken | ActivityTaskToken | QueryTaskToken;

export function encodeToken(token: TaskToken): Buffer {
  return Buffer.from(JSON.stringify(token), 'utf8');
}

export function decodeToken(bytes: Uint8Array | null | undefined): TaskToken {
  try {
    const parsed = JSON.parse(Buffer.from(bytes ?? []).toString('utf8')) as TaskToken;
    if (parsed && typeof parsed === 'object' && 'k' in parsed) return parsed;
  } catch {
    // fall through to the error below
  }
  throw invalidArgument('Error deserializing task token.');
}
