import { InvalidInputError } from '@geoworks/errors';
import { renderHtmlTemplate, renderTemplate, templateFields } from '@geoworks/mailer';

/**
 * The password-reset email, as `{name}` templates (see @geoworks/mailer's renderTemplate).
 * Placeholders: `{username}`, `{email}`, `{reset_url}`, `{valid_for}` ("3 days"),
 * `{site_name}`, `{public_url}`. Values are HTML-escaped in `html`.
 */
export interface ResetEmailTemplates {
  subject?: string;
  text?: string;
  /** `''` sends a text-only email. */
  html?: string;
}

const PLACEHOLDERS = ['username', 'email', 'reset_url', 'valid_for', 'site_name', 'public_url'];

export const DEFAULT_RESET_EMAIL: Required<ResetEmailTemplates> = {
  subject: 'Password reset on {site_name}',
  text: `Someone, probably you, asked to reset the password of the account "{username}" on {site_name}.

To choose a new password, open this link within {valid_for}:
{reset_url}

If you did not ask for this, ignore this email: your password stays as it is.
`,
  html: `<p>Someone, probably you, asked to reset the password of the account <b>{username}</b> on {site_name}.</p>
<p>To choose a new password, open this link within {valid_for}:<br>
<a href="{reset_url}">{reset_url}</a></p>
<p>If you did not ask for this, ignore this email: your password stays as it is.</p>
`,
};

/** The templates to use, checked once at start-up: an unknown placeholder is an error now. */
export function checkResetEmail(
  templates: ResetEmailTemplates = {},
): Required<ResetEmailTemplates> {
  const merged = { ...DEFAULT_RESET_EMAIL, ...templates };
  for (const [part, template] of Object.entries(merged)) {
    const unknown = templateFields(template).filter((name) => !PLACEHOLDERS.includes(name));
    if (unknown.length > 0) {
      throw new InvalidInputError(
        `resetEmail.${part} uses unknown placeholders ${unknown.map((name) => `{${name}}`).join(', ')}; known: ${PLACEHOLDERS.map((name) => `{${name}}`).join(', ')}`,
        { code: 'INVALID_RESET_EMAIL' },
      );
    }
  }
  return merged;
}

export interface ResetEmailValues {
  username: string;
  email: string;
  reset_url: string;
  valid_for: string;
  site_name: string;
  public_url: string;
}

export function renderResetEmail(
  templates: Required<ResetEmailTemplates>,
  values: ResetEmailValues,
): { subject: string; text: string; html?: string } {
  const email = {
    subject: renderTemplate(templates.subject, values),
    text: renderTemplate(templates.text, values),
  };
  return templates.html === ''
    ? email
    : { ...email, html: renderHtmlTemplate(templates.html, values) };
}

/** `259200000` -> `3 days`, `3600000` -> `1 hour`, `5400000` -> `90 minutes`. */
export function describeDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1_000, 'second'],
  ];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) {
      const count = ms / size;
      return `${count} ${name}${count === 1 ? '' : 's'}`;
    }
  }
  const minutes = Math.max(1, Math.round(ms / 60_000));
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
