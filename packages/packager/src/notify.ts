import { escapeHtml, renderTemplate, templateFields, type MailMessage } from '@geoworks/mailer';
import { InvalidInputError } from '@geoworks/errors';

/** The emails' templates (`EMAIL_SUBJECT`, `EMAIL_BODY`, ... of the original). */
export interface EmailTemplates {
  subject: string;
  /** Plain-text body. */
  text: string;
  /** HTML body; placeholder values are HTML-escaped, except `{doi_body_html}`. */
  html: string;
  /** Text that fills `{doi_body}` when the request has a DOI. */
  doiText: string;
  /** HTML that fills `{doi_body_html}` when the request has a DOI. */
  doiHtml: string;
}

/**
 * Placeholders the templates may use: the original's (`resource_id`, `zip_file_name`,
 * `ckan_host`, `doi`, `doi_body`, `doi_body_html`) and ours: `download_url`, the link that
 * really downloads the zip from this service, and `expires`, the date the link stops working.
 */
export const EMAIL_PLACEHOLDERS = [
  'resource_id',
  'zip_file_name',
  'ckan_host',
  'download_url',
  'expires',
  'doi',
  'doi_body',
  'doi_body_html',
] as const;

export const DEFAULT_EMAIL_TEMPLATES: EmailTemplates = {
  subject: 'Resource from {ckan_host}',
  text: `Hello,

The link to the resource you requested on {ckan_host} is available at:
{download_url}

The link works until {expires}.

{doi_body}
Best Wishes,
The Data Portal Bot
`,
  html: `<html lang="en">
<body>
<p>Hello,</p>
<p>The link to the resource data you requested on {ckan_host} is available
<a href="{download_url}">here</a> ({download_url}).</p>
<p>The link works until {expires}.</p>
{doi_body_html}
<p>Best Wishes,</p>
<p>The Data Portal Bot</p>
</body>
</html>
`,
  doiText: `A DOI has been created for this data: https://doi.org/{doi} (this may take a few hours to become active).
Please ensure you reference this DOI when citing this data.
For more information, follow the DOI link.
`,
  doiHtml: `<p>A DOI has been created for this data: <a href="https://doi.org/{doi}">https://doi.org/{doi}</a> (this may take a few hours to become active).</p>
<p>Please ensure you reference this DOI when citing this data.</p>
<p>For more information, follow the DOI link.</p>
<br />
`,
};

/** Checks templates at start-up: valid syntax, known placeholders only. */
export function checkEmailTemplates(templates: EmailTemplates): void {
  const known = new Set<string>(EMAIL_PLACEHOLDERS);
  for (const [name, template] of Object.entries(templates) as [keyof EmailTemplates, string][]) {
    const unknown = templateFields(template).filter(
      (field) =>
        !known.has(field) ||
        ((name === 'doiText' || name === 'doiHtml') && field.startsWith('doi_body')),
    );
    if (unknown.length > 0) {
      throw new InvalidInputError(
        `Email template ${name} uses unknown placeholder(s) ${unknown.map((field) => `{${field}}`).join(', ')}; known: ${EMAIL_PLACEHOLDERS.map((field) => `{${field}}`).join(', ')}`,
        { code: 'BAD_EMAIL_TEMPLATE' },
      );
    }
  }
}

export interface DownloadNotice {
  to: string;
  resourceId: string;
  zipFileName: string;
  downloadUrl: string;
  /** Host of the CKAN API or file URL the data came from. */
  ckanHost: string;
  expiresAt: Date;
  doi?: string | undefined;
}

/** The email telling a user where to download their package. */
export function composeDownloadEmail(
  templates: EmailTemplates,
  notice: DownloadNotice,
  from?: string,
): MailMessage {
  const hasDoi = notice.doi !== undefined && notice.doi !== '';
  const base = {
    resource_id: notice.resourceId,
    zip_file_name: notice.zipFileName,
    ckan_host: notice.ckanHost,
    download_url: notice.downloadUrl,
    expires: notice.expiresAt.toISOString().replace(/\.\d+Z$/, 'Z'),
    doi: hasDoi ? notice.doi! : '',
  };
  const doiBody = hasDoi ? renderTemplate(templates.doiText, base) : '';
  const escaped = Object.fromEntries(
    Object.entries(base).map(([name, value]) => [name, escapeHtml(value)]),
  );
  const doiBodyHtml = hasDoi ? renderTemplate(templates.doiHtml, escaped) : '';
  const values = { ...base, doi_body: doiBody, doi_body_html: doiBodyHtml };
  return {
    to: notice.to,
    ...(from === undefined ? {} : { from }),
    // A subject is one line whatever the template's values hold.
    subject: renderTemplate(templates.subject, values)
      .replace(/[\r\n]+/g, ' ')
      .trim(),
    text: renderTemplate(templates.text, values),
    html: renderTemplate(templates.html, {
      ...escaped,
      doi_body: escapeHtml(doiBody),
      doi_body_html: doiBodyHtml,
    }),
  };
}
