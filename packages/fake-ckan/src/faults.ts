import { STATUS_CODES } from 'node:http';
import { InvalidInputError } from '@geoworks/errors';
import type { DelayFault, DestroyFault, Fault, StatusFault } from './types.js';

interface Armed {
  fault: Fault;
  remaining: number;
}

/** What the faults armed for one call ask for. */
export interface FaultPlan {
  delayMs: number;
  status: StatusFault | undefined;
  destroy: DestroyFault | undefined;
}

/**
 * Faults for `datastore_search` calls. Each fires on `times` consecutive calls from its `call`
 * (or from the next call). Several may hit one call: their delays add up, the first status
 * fault gives the answer (instead of a search), and the first destroy fault cuts the answer.
 */
export class Faults {
  private armed: Armed[] = [];

  add(fault: Fault): void {
    checkFault(fault);
    this.armed.push({ fault, remaining: fault.times ?? 1 });
  }

  clear(): void {
    this.armed = [];
  }

  /** The faults for datastore_search call number `call` (from 1), used up as they fire. */
  take(call: number): FaultPlan {
    const plan: FaultPlan = { delayMs: 0, status: undefined, destroy: undefined };
    for (const armed of this.armed) {
      const { fault } = armed;
      if (armed.remaining <= 0 || (fault.call !== undefined && call < fault.call)) continue;
      armed.remaining--;
      if (fault.kind === 'delay') plan.delayMs += fault.ms;
      else if (fault.kind === 'status') plan.status ??= fault;
      else plan.destroy ??= fault;
    }
    this.armed = this.armed.filter((armed) => armed.remaining > 0);
    return plan;
  }
}

function checkFault(fault: Fault): void {
  const bad = (message: string) => new InvalidInputError(message, { code: 'BAD_FAULT' });
  if (fault.call !== undefined && !(Number.isInteger(fault.call) && fault.call >= 1))
    throw bad(`A fault's call counts from 1; got ${fault.call}`);
  if (fault.times !== undefined && !(fault.times >= 1))
    throw bad(`A fault's times must be at least 1; got ${fault.times}`);
  if (
    fault.kind === 'status' &&
    !(Number.isInteger(fault.status) && fault.status >= 100 && fault.status <= 599)
  )
    throw bad(`Not an HTTP status: ${fault.status}`);
  if (fault.kind === 'delay' && !((fault as DelayFault).ms >= 0))
    throw bad('A delay needs ms >= 0');
  if (fault.kind === 'destroy' && fault.afterBytes !== undefined && !(fault.afterBytes >= 0))
    throw bad('A destroy fault needs afterBytes >= 0');
  if (!['status', 'delay', 'destroy'].includes(fault.kind))
    throw bad(`Unknown fault kind "${String(fault.kind)}"`);
}

/**
 * A status fault's response. The default for 500 is CKAN's own answer to an exception; other
 * statuses usually come from the proxy in front of CKAN, so they get nginx's HTML page.
 */
export function faultResponse(
  fault: StatusFault,
  helpUrl: string,
): { body: string; headers: Record<string, string> } {
  if (fault.body !== undefined) {
    const text = typeof fault.body === 'string';
    return {
      body: text ? (fault.body as string) : JSON.stringify(fault.body),
      headers: {
        'Content-Type': text ? 'text/plain;charset=utf-8' : 'application/json;charset=utf-8',
        ...fault.headers,
      },
    };
  }
  if (fault.status === 500) {
    return {
      body: JSON.stringify({
        help: helpUrl,
        success: false,
        error: { __type: 'Internal Server Error', message: 'Internal Server Error' },
      }),
      headers: { 'Content-Type': 'application/json;charset=utf-8', ...fault.headers },
    };
  }
  const title = `${fault.status} ${STATUS_CODES[fault.status] ?? 'Error'}`;
  return {
    body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
    headers: { 'Content-Type': 'text/html', ...fault.headers },
  };
}
