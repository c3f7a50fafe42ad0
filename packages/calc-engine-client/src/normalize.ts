import type { Calculation, CalculationInfo, LogRow, Output, Validation } from './types.js';

/**
 * Turning the server's JSON into typed values. Faithful to the real engine: `is_running` is a
 * boolean in lists and 0/1 in `GET /v1/calc/:id`, `parent_id` may be a string, times come as
 * `2024-08-01, 12:00:00 UTC` or `2017-06-05 12:01:28.575776`, optional fields may be absent.
 * A value of the wrong shape throws a BadShape, which the client reports as an upstream error.
 */
export class BadShape extends Error {}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) throw new BadShape(`expected ${what} to be an object`);
  return value;
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function integer(value: unknown): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) return Number(value);
  return null;
}

function number(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    return Number(value);
  }
  return null;
}

/** `true`, `1`, `"true"`, `"1"` are true; everything else is false. */
export function truthy(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return ['true', '1', 'yes'].includes(value.trim().toLowerCase());
  return false;
}

const TIME =
  /^(\d{4}-\d{2}-\d{2})[T ,]+(\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$/i;

/** Parses the engine's time formats; a time without a zone is UTC (the engine stores UTC). */
export function parseEngineTime(value: string | null): Date | null {
  if (value === null) return null;
  const match = TIME.exec(value.trim());
  if (match === null) return null;
  const [, date, clock, fraction, zone] = match;
  const millis = fraction === undefined ? '' : `.${fraction.slice(0, 3).padEnd(3, '0')}`;
  let offset = 'Z';
  if (zone !== undefined && /^[+-]/.test(zone)) {
    offset = zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  }
  const seconds = clock !== undefined && clock.length === 5 ? ':00' : '';
  const time = new Date(`${date}T${clock}${seconds}${millis}${offset}`);
  return Number.isNaN(time.getTime()) ? null : time;
}

export function toCalculation(value: unknown): Calculation {
  const raw = record(value, 'a calculation');
  const id = integer(raw.id);
  if (id === null) throw new BadShape('expected a calculation with an integer "id"');
  const status = text(raw.status);
  if (status === null) throw new BadShape(`expected calculation ${id} to have a "status"`);
  const startTimeText = text(raw.start_time);
  return {
    id,
    status,
    calculationMode: text(raw.calculation_mode) ?? '',
    description: text(raw.description) ?? '',
    owner: text(raw.owner) ?? text(raw.user_name),
    isRunning: truthy(raw.is_running),
    abortable: truthy(raw.abortable),
    parentId: integer(raw.parent_id ?? raw.hazard_calculation_id),
    sizeMb: number(raw.size_mb),
    startTimeText,
    startTime: parseEngineTime(startTimeText),
    url: text(raw.url),
    raw,
  };
}

export function toCalculations(value: unknown): Calculation[] {
  if (!Array.isArray(value)) throw new BadShape('expected a list of calculations');
  return value.map(toCalculation);
}

export function toCalculationInfo(value: unknown): CalculationInfo {
  const raw = record(value, 'the calculation info');
  const status = text(raw.status);
  if (status === null) throw new BadShape('expected the calculation info to have a "status"');
  const startTimeText = text(raw.start_time);
  const stopTimeText = text(raw.stop_time);
  return {
    userName: text(raw.user_name),
    status,
    isRunning: truthy(raw.is_running),
    startTimeText,
    startTime: parseEngineTime(startTimeText),
    stopTimeText,
    stopTime: parseEngineTime(stopTimeText),
    raw,
  };
}

export function toLogRows(value: unknown, start: number): LogRow[] {
  if (!Array.isArray(value)) throw new BadShape('expected a list of log rows');
  return value.map((row, offset) => {
    if (Array.isArray(row)) {
      const [timestamp, level, process, message] = row as unknown[];
      return {
        index: start + offset,
        timestamp: text(timestamp) ?? '',
        level: text(level) ?? '',
        process: text(process) ?? '',
        message: text(message) ?? '',
      };
    }
    if (isRecord(row)) {
      return {
        index: start + offset,
        timestamp: text(row.timestamp) ?? '',
        level: text(row.level) ?? '',
        process: text(row.process) ?? '',
        message: text(row.message) ?? '',
      };
    }
    throw new BadShape('expected each log row to be [timestamp, level, process, message]');
  });
}

export function toInteger(value: unknown, what: string): number {
  const result = integer(value);
  if (result === null) throw new BadShape(`expected ${what} to be an integer`);
  return result;
}

export function toStrings(value: unknown, what: string): string[] {
  if (!Array.isArray(value)) throw new BadShape(`expected ${what} to be a list of strings`);
  return value.map((item) => text(item) ?? JSON.stringify(item));
}

export function toOutputs(value: unknown): Output[] {
  if (!Array.isArray(value)) throw new BadShape('expected a list of outputs');
  return value.map((item) => {
    const raw = record(item, 'an output');
    const id = integer(raw.id);
    if (id === null) throw new BadShape('expected an output with an integer "id"');
    return {
      id,
      name: text(raw.name) ?? '',
      type: text(raw.type) ?? '',
      outtypes: Array.isArray(raw.outtypes) ? raw.outtypes.map((type) => String(type)) : [],
      url: text(raw.url),
      sizeMb: number(raw.size_mb),
      raw,
    };
  });
}

export function toValidation(value: unknown): Validation {
  const raw = record(value, 'the validation result');
  if (typeof raw.valid !== 'boolean' && typeof raw.valid !== 'number') {
    throw new BadShape('expected the validation result to have "valid"');
  }
  return {
    valid: truthy(raw.valid),
    errorMsg: text(raw.error_msg),
    errorLine: integer(raw.error_line),
  };
}

const MAX_MESSAGE = 2000;

/** The server's own message from an error body: JSON `error`, `traceback` lines, or text. */
export function serverMessageOf(body: string, contentType: string | null): string {
  const trimmed = body.trim();
  if (trimmed === '') return '(empty body)';
  if (/json/i.test(contentType ?? '') || /^[[{"]/.test(trimmed)) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      const message = messageOfJson(parsed);
      if (message !== null) return clip(message);
    } catch {
      // not JSON after all: fall through to text
    }
  }
  if (/html/i.test(contentType ?? '') || /^<(!doctype|html)/i.test(trimmed)) {
    return clip(htmlToText(trimmed));
  }
  return clip(trimmed);
}

function messageOfJson(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((line) => typeof line === 'string')) {
    return value.join('\n');
  }
  if (!isRecord(value)) return null;
  for (const key of ['error', 'error_msg', 'detail', 'message']) {
    const candidate = value[key];
    if (typeof candidate === 'string' && candidate !== '') return candidate;
  }
  const traceback = value.traceback;
  if (Array.isArray(traceback)) return traceback.map(String).join('\n');
  if (typeof traceback === 'string') return traceback;
  return JSON.stringify(value);
}

function htmlToText(html: string): string {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1];
  const body = html
    .replace(/<(script|style|head)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
  return body !== '' ? body : (title?.trim() ?? '');
}

function clip(message: string): string {
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}...` : message;
}
