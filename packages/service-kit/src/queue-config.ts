/**
 * The job queue settings of a service, for its `defineConfig` schema: `<PREFIX>_REDIS_URL`
 * (unset: the embedded SQLite queue) and `<PREFIX>_LOST_JOB_CHECK`, how often the jobs the
 * service waits for are checked against a queue that may have lost them (a Redis restarted
 * without its data).
 */
export function jobQueueConfig(prefix: string, redisDescription: string) {
  return {
    redisUrl: {
      env: `${prefix}_REDIS_URL`,
      type: 'url',
      optional: true,
      description: redisDescription,
    },
    lostJobCheck: {
      env: `${prefix}_LOST_JOB_CHECK`,
      type: 'duration',
      default: '15s',
      min: '100ms',
      max: '1h',
      description:
        'How often the jobs the service waits for are checked against the queue: one Redis lost (restarted without its data) fails at the next check',
    },
  } as const;
}
