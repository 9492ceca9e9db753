import { ApiException } from '@kubernetes/client-node';

/** The HTTP status of a failed API call, or undefined when it is not an API answer. */
export function apiStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** A readable message for a failed API call: the Status message the server sent, when there is one. */
export function apiMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const raw: unknown = err.body;
    const body = typeof raw === 'string' ? safeParse(raw) : raw;
    const message = (body as { message?: unknown } | undefined)?.message;
    return typeof message === 'string' ? `${message} (HTTP ${err.code})` : `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}
