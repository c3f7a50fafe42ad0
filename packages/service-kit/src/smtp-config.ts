import type { ConfigValues } from '@geoworks/config';

/**
 * The SMTP settings every emailing service reads, to spread into its `defineConfig`
 * schema: `SMTP_HOST` (unset: emails go to a local outbox), `SMTP_PORT`, `SMTP_USER`,
 * `SMTP_PASSWORD`, `SMTP_SECURE`.
 */
export const SMTP_CONFIG = {
  smtpHost: {
    env: 'SMTP_HOST',
    type: 'string',
    optional: true,
    description: 'SMTP server; unset: emails go to <dataDir>/outbox as .eml files',
  },
  smtpPort: { env: 'SMTP_PORT', type: 'integer', default: 587, description: 'SMTP port' },
  smtpUser: { env: 'SMTP_USER', type: 'string', optional: true, description: 'SMTP login' },
  smtpPassword: {
    env: 'SMTP_PASSWORD',
    type: 'string',
    optional: true,
    secret: true,
    description: 'SMTP password',
  },
  smtpSecure: {
    env: 'SMTP_SECURE',
    type: 'boolean',
    default: false,
    description: 'SMTP over TLS from the start (port 465)',
  },
} as const;

/** Where emails go, from `SMTP_CONFIG` values: the shape `createMailer` of @geoworks/mailer takes. */
export type MailTransportOptions =
  | {
      smtp: { host: string; port: number; secure: boolean; user?: string; password?: string };
    }
  | { outboxDir: string };

/** The SMTP server when `SMTP_HOST` is set, else the outbox folder given. */
export function mailTransportOptions(
  config: ConfigValues<typeof SMTP_CONFIG>,
  outboxDir: string,
): MailTransportOptions {
  if (config.smtpHost === undefined) return { outboxDir };
  return {
    smtp: {
      host: config.smtpHost,
      port: config.smtpPort,
      secure: config.smtpSecure,
      ...(config.smtpUser === undefined ? {} : { user: config.smtpUser }),
      ...(config.smtpPassword === undefined ? {} : { password: config.smtpPassword }),
    },
  };
}
