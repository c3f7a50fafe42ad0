// Reading the server's answers: text, JSON, and the engine's {"success"} / {"error"} bodies.
import { EngineUpstreamError, errorForRefusal } from './errors.js';
import type { Exchange } from './http.js';
import { BadShape, isRecord } from './normalize.js';

export async function readText(exchange: Exchange): Promise<string> {
  return exchange.response.text();
}

export async function readJson(exchange: Exchange): Promise<unknown> {
  const text = await exchange.response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const type = exchange.response.headers.get('content-type') ?? 'no content type';
    const snippet = text.trim().slice(0, 200);
    throw new EngineUpstreamError(
      exchange.info(`Expected JSON, got ${type}: ${snippet === '' ? '(empty body)' : snippet}`),
    );
  }
}

/** `{"success": ...}` gives its message; `{"error": ...}` is thrown whatever the status. */
export function successOf(exchange: Exchange, body: unknown): string {
  if (isRecord(body)) {
    if (typeof body.error === 'string') throw errorForRefusal(exchange.info(body.error));
    if (body.success !== undefined) return String(body.success);
  }
  throw new BadShape('expected {"success": ...} or {"error": ...}');
}
