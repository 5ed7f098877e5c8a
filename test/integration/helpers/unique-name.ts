import { randomUUID } from 'node:crypto';

/** `prefix-<uuid>`: a topic, group, table or bucket name no other test (or run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}
