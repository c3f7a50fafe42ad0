import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InvalidInputError } from '@geoworks/errors';
import type { DwcSettings } from './build.js';
import type { EmailTemplates } from './notify.js';
import {
  loadExtension,
  parseExtensionXml,
  SHIPPED_EXTENSIONS,
  type ShippedExtension,
} from './writers/extensions.js';
import type { DwcExtension, DwcExtensionField } from './writers/types.js';

/**
 * The Darwin Core defaults of ckanpackager: the Occurrence core, no further extensions,
 * `dynamicProperties`, and `associatedMedia` expanded into GBIF Multimedia rows.
 */
export const DEFAULT_MEDIA_FIELDS: Readonly<Record<string, string>> = {
  type: 'StillImage',
  format: 'image/jpeg',
  identifier: '',
  title: '',
  license: 'http://creativecommons.org/licenses/by/4.0/',
  rightsHolder: '',
};

/** The EML template shipped in `data/eml-template.xml`. */
export async function defaultEmlTemplate(): Promise<string> {
  return readFile(new URL('../data/eml-template.xml', import.meta.url), 'utf8');
}

/**
 * Darwin Core settings from a JSON file, or the defaults without one:
 * `{"idField": "_id", "core": "dwc_occurrence", "additional": [], "dynamicTerm":
 * "dynamicProperties", "extensionFields": {"associatedMedia": {"extension":
 * "gbif_multimedia", "fields": {...defaults}}}, "emlTemplate": "eml.xml"}`. Extensions are
 * shipped names (`dwc_occurrence`, `gbif_multimedia`) or paths to GBIF extension XML files;
 * paths are relative to the JSON file.
 */
export async function loadDwcSettings(file?: string): Promise<DwcSettings> {
  const defaults: DwcSettings = {
    extensionFields: {
      associatedMedia: {
        extension: loadExtension('gbif_multimedia'),
        defaults: { ...DEFAULT_MEDIA_FIELDS },
      },
    },
    defaultEml: await defaultEmlTemplate(),
  };
  if (file === undefined) return defaults;
  const base = dirname(resolve(file));
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new InvalidInputError(`Darwin Core settings ${file}: ${(error as Error).message}`, {
      code: 'BAD_DWC_SETTINGS',
    });
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new InvalidInputError(`Darwin Core settings ${file} must hold a JSON object`, {
      code: 'BAD_DWC_SETTINGS',
    });
  }
  const text = (name: string): string | undefined => {
    const value = config[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') {
      throw new InvalidInputError(`Darwin Core settings ${file}: ${name} must be a string`, {
        code: 'BAD_DWC_SETTINGS',
      });
    }
    return value;
  };
  const extension = async (reference: unknown, where: string): Promise<DwcExtension> => {
    if (typeof reference !== 'string' || reference === '') {
      throw new InvalidInputError(`Darwin Core settings ${file}: ${where} must name an extension`, {
        code: 'BAD_DWC_SETTINGS',
      });
    }
    if ((SHIPPED_EXTENSIONS as readonly string[]).includes(reference)) {
      return loadExtension(reference as ShippedExtension);
    }
    return parseExtensionXml(await readFile(resolve(base, reference), 'utf8'));
  };
  const settings: DwcSettings = { defaultEml: defaults.defaultEml };
  const idField = text('idField');
  if (idField !== undefined) settings.idField = idField;
  const dynamicTerm = text('dynamicTerm');
  if (dynamicTerm !== undefined) settings.dynamicTerm = dynamicTerm;
  if (config.core !== undefined) settings.core = await extension(config.core, 'core');
  if (config.additional !== undefined) {
    if (!Array.isArray(config.additional)) {
      throw new InvalidInputError(`Darwin Core settings ${file}: additional must be a list`, {
        code: 'BAD_DWC_SETTINGS',
      });
    }
    settings.additional = await Promise.all(
      config.additional.map((item, index) => extension(item, `additional[${index}]`)),
    );
  }
  if (config.extensionFields === undefined) {
    settings.extensionFields = defaults.extensionFields!;
  } else {
    const fields = config.extensionFields as Record<
      string,
      { extension?: unknown; fields?: unknown }
    >;
    if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
      throw new InvalidInputError(
        `Darwin Core settings ${file}: extensionFields must be an object`,
        {
          code: 'BAD_DWC_SETTINGS',
        },
      );
    }
    const expanded: Record<string, DwcExtensionField> = {};
    for (const [name, entry] of Object.entries(fields)) {
      const values = entry?.fields ?? {};
      if (values === null || typeof values !== 'object' || Array.isArray(values)) {
        throw new InvalidInputError(
          `Darwin Core settings ${file}: extensionFields.${name}.fields must be an object`,
          {
            code: 'BAD_DWC_SETTINGS',
          },
        );
      }
      expanded[name] = {
        extension: await extension(entry?.extension, `extensionFields.${name}.extension`),
        defaults: Object.fromEntries(
          Object.entries(values).map(([key, value]) => [key, String(value)]),
        ),
      };
    }
    settings.extensionFields = expanded;
  }
  const emlTemplate = text('emlTemplate');
  if (emlTemplate !== undefined)
    settings.defaultEml = await readFile(resolve(base, emlTemplate), 'utf8');
  return settings;
}

const TEMPLATE_FILES: Record<keyof EmailTemplates, string> = {
  subject: 'subject.txt',
  text: 'body.txt',
  html: 'body.html',
  doiText: 'doi-body.txt',
  doiHtml: 'doi-body.html',
};

/**
 * Email templates from a folder holding any of `subject.txt`, `body.txt`, `body.html`,
 * `doi-body.txt` and `doi-body.html`; missing files keep the defaults.
 */
export async function loadEmailTemplates(dir?: string): Promise<Partial<EmailTemplates>> {
  if (dir === undefined) return {};
  const templates: Partial<EmailTemplates> = {};
  for (const [key, name] of Object.entries(TEMPLATE_FILES) as [keyof EmailTemplates, string][]) {
    try {
      templates[key] = await readFile(resolve(dir, name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return templates;
}
