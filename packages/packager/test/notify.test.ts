import { describe, expect, it } from 'vitest';
import {
  checkEmailTemplates,
  composeDownloadEmail,
  DEFAULT_EMAIL_TEMPLATES,
} from '../src/index.js';

const notice = {
  to: 'user@example.org',
  resourceId: 'res-1',
  zipFileName: 'res-1_abc.zip',
  downloadUrl: 'https://packager.example.org/downloads/res-1_abc.zip',
  ckanHost: 'data.example.org',
  expiresAt: new Date('2026-12-01T10:00:00.123Z'),
};

describe('composeDownloadEmail', () => {
  it('fills the placeholders of both bodies and the subject', () => {
    const mail = composeDownloadEmail(
      DEFAULT_EMAIL_TEMPLATES,
      notice,
      'Portal <noreply@example.org>',
    );
    expect(mail.subject).toBe('Resource from data.example.org');
    expect(mail.to).toBe('user@example.org');
    expect(mail.from).toBe('Portal <noreply@example.org>');
    expect(mail.text).toContain('\nhttps://packager.example.org/downloads/res-1_abc.zip\n');
    expect(mail.text).toContain('until 2026-12-01T10:00:00Z');
    expect(mail.text).not.toContain('DOI');
    expect(mail.html).toContain(
      '<a href="https://packager.example.org/downloads/res-1_abc.zip">here</a>',
    );
  });

  it('adds the DOI paragraphs only when a DOI is given, escaped in HTML', () => {
    const mail = composeDownloadEmail(DEFAULT_EMAIL_TEMPLATES, { ...notice, doi: '10.5519/<qa>' });
    expect(mail.text).toContain('https://doi.org/10.5519/<qa> (this may take');
    expect(mail.html).toContain('<a href="https://doi.org/10.5519/&lt;qa&gt;">');
    expect(mail.html).not.toContain('<qa>');
  });

  it('runs the original templates, {ckan_host}/{zip_file_name} included', () => {
    const templates = {
      ...DEFAULT_EMAIL_TEMPLATES,
      subject: 'Resource {resource_id} from {ckan_host}',
      text: 'http://{ckan_host}/{zip_file_name}\n{doi_body}',
    };
    checkEmailTemplates(templates);
    const mail = composeDownloadEmail(templates, { ...notice, doi: '10.1/x' });
    expect(mail.subject).toBe('Resource res-1 from data.example.org');
    expect(mail.text).toBe(
      'http://data.example.org/res-1_abc.zip\nA DOI has been created for this data: https://doi.org/10.1/x (this may take a few hours to become active).\nPlease ensure you reference this DOI when citing this data.\nFor more information, follow the DOI link.\n',
    );
  });

  it('refuses templates with unknown placeholders at start-up', () => {
    expect(() => checkEmailTemplates({ ...DEFAULT_EMAIL_TEMPLATES, subject: 'Hi {name}' })).toThrow(
      /\{name\}/,
    );
    expect(() =>
      checkEmailTemplates({ ...DEFAULT_EMAIL_TEMPLATES, doiText: '{doi_body}' }),
    ).toThrow(/doiText/);
    expect(() => checkEmailTemplates({ ...DEFAULT_EMAIL_TEMPLATES, text: 'a { b' })).toThrow();
  });
});
