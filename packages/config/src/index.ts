// @geoworks/config: settings declared once as a typed schema, read from the environment by the
// services and from options, environment and a config file by the command-line tools.
export { defineConfig, loadConfig, resolveConfig } from './config.js';
export type { ConfigFile, ConfigSources, Env } from './config.js';
export { describeConfig } from './describe.js';
export type {
  BooleanField,
  BytesField,
  ConfigField,
  ConfigFieldType,
  ConfigFieldValue,
  ConfigSchema,
  ConfigValues,
  DurationField,
  EnumField,
  IntegerField,
  ListField,
  NumberField,
  PathField,
  StringField,
  UrlField,
} from './types.js';
export { ConfigError } from './errors.js';
export type { ConfigProblem } from './errors.js';
export {
  DATA_DIR_TOKEN,
  DATA_DIR_VARIABLE,
  geoworksDataDir,
  withServiceDataDir,
} from './data-dir.js';
