import type { RequestHandler } from 'express';

/** One status a route answered with, and whether the route's OpenAPI operation lists it. */
export interface RouteAnswer {
  /** The API's title (the service). */
  api: string;
  /** `GET /v1/calc/{id}`: the method and the path as the document writes them. */
  route: string;
  status: number;
  documented: boolean;
}

export interface RouteAnswerRecorder {
  /** Every distinct answer seen since recording started, sorted. */
  answers(): RouteAnswer[];
  /** The answers whose status the route's document does not list, as `api route status`. */
  undocumented(): string[];
  stop(): void;
}

interface Recording {
  seen: Map<string, RouteAnswer>;
}

const recordings = new Set<Recording>();

/**
 * Starts noting the status of every answer given by a route of `createApi`, in this process:
 * a test suite that exercises a service can then check that its OpenAPI document lists every
 * status the service really returns (`undocumented()` empty). Costs nothing when not recording.
 */
export function recordRouteAnswers(): RouteAnswerRecorder {
  const recording: Recording = { seen: new Map() };
  recordings.add(recording);
  const answers = () =>
    [...recording.seen.values()].sort(
      (a, b) => a.api.localeCompare(b.api) || a.route.localeCompare(b.route) || a.status - b.status,
    );
  return {
    answers,
    undocumented: () =>
      answers()
        .filter((answer) => !answer.documented)
        .map((answer) => `${answer.api} ${answer.route} ${answer.status}`),
    stop: () => recordings.delete(recording),
  };
}

/** The first handler of every `createApi` route: notes its answer while something records. */
export function answerRecorder(
  api: string,
  route: string,
  documentedStatuses: () => readonly string[],
): RequestHandler {
  return (_req, res, next) => {
    if (recordings.size > 0) {
      res.once('finish', () => {
        const status = res.statusCode;
        const documented = documentedStatuses().includes(String(status));
        for (const recording of recordings) {
          recording.seen.set(`${api} ${route} ${status}`, { api, route, status, documented });
        }
      });
    }
    next();
  };
}
