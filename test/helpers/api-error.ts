import { ApiException } from '@kubernetes/client-node';

/** The status code and decoded body of the ApiException `p` rejects with; fails when it resolves. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function apiError(p: Promise<unknown>): Promise<{ code: number; body: any }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiException) return { code: err.code, body: typeof err.body === 'string' ? JSON.parse(err.body) : err.body };
    throw err;
  }
  throw new Error('expected an ApiException');
}
