/** What every configuration field declares, whatever its type. */
interface FieldBase {
  /** The environment variable read, such as `PORT`. */
  env: string;
  /** One sentence for operators; `describeConfig` puts it in the README table. */
  description: string;
  /**
   * The value is never printed (errors say `(hidden)`), and in production (`NODE_ENV=production`)
   * it must be set: a default secret is only good for development.
   */
  secret?: boolean;
  /**
   * Without a default, an unset variable is an error unless the field is optional; an optional
   * field is then `undefined` (for features that are off when not configured).
   */
  optional?: boolean;
  /**
   * For a command-line tool: the option that sets the field (`url` for `--url`), which wins
   * over the environment. Services leave it out.
   */
  flag?: string;
  /**
   * For a command-line tool: the keys that may hold the field in its config file, the first
   * present winning. Default: the field's name in the schema.
   */
  fileKeys?: readonly string[];
}

export interface StringField extends FieldBase {
  type: 'string';
  default?: string;
}

export interface IntegerField extends FieldBase {
  type: 'integer';
  default?: number;
  min?: number;
  max?: number;
}

export interface NumberField extends FieldBase {
  type: 'number';
  default?: number;
  min?: number;
  max?: number;
}

/** `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, in any case. */
export interface BooleanField extends FieldBase {
  type: 'boolean';
  default?: boolean;
}

/** One of `values`, matched without regard to case and returned as written in `values`. */
export interface EnumField extends FieldBase {
  type: 'enum';
  values: readonly string[];
  default?: string;
}

/** An absolute URL, kept as written. */
export interface UrlField extends FieldBase {
  type: 'url';
  default?: string;
  /** Accepted schemes with their colon, such as `['http:', 'https:']`. Default: any. */
  protocols?: readonly string[];
}

/**
 * A file system path, resolved against the working directory (so the value is absolute). A
 * default starting with `$GEOWORKS_DATA_DIR/` is under the geoworks data directory.
 */
export interface PathField extends FieldBase {
  type: 'path';
  default?: string;
}

/**
 * A size in bytes: `512`, `10MB` (10 * 1000^2) or `1GiB` (1024^3). Units B, KB, MB, GB, TB
 * and KiB, MiB, GiB, TiB in any case. Numbers in the schema are bytes.
 */
export interface BytesField extends FieldBase {
  type: 'bytes';
  default?: number | string;
  min?: number | string;
  max?: number | string;
}

/**
 * A duration in milliseconds, written with its unit: `1500ms`, `30s`, `5m`, `2h`, `1d`. A bare
 * number is refused (is `30` seconds or milliseconds?). Numbers in the schema are milliseconds.
 */
export interface DurationField extends FieldBase {
  type: 'duration';
  default?: number | string;
  min?: number | string;
  max?: number | string;
}

/** Comma-separated strings, trimmed, empty items dropped: `a, b,,c` is `['a', 'b', 'c']`. */
export interface ListField extends FieldBase {
  type: 'list';
  default?: readonly string[] | string;
}

export type ConfigField =
  | StringField
  | IntegerField
  | NumberField
  | BooleanField
  | EnumField
  | UrlField
  | PathField
  | BytesField
  | DurationField
  | ListField;

export type ConfigFieldType = ConfigField['type'];

/** Property name in the loaded configuration -> how to read it from the environment. */
export type ConfigSchema = Readonly<Record<string, ConfigField>>;

/** The TypeScript type of one field's value. */
export type ConfigFieldValue<F extends ConfigField> = F extends {
  type: 'integer' | 'number' | 'bytes' | 'duration';
}
  ? number
  : F extends { type: 'boolean' }
    ? boolean
    : F extends { type: 'enum'; values: readonly (infer V extends string)[] }
      ? V
      : F extends { type: 'list' }
        ? readonly string[]
        : string;

/** The loaded configuration for schema `S`: one read-only property per field. */
export type ConfigValues<S extends ConfigSchema> = {
  readonly [K in keyof S]: S[K] extends { default: unknown }
    ? ConfigFieldValue<S[K]>
    : S[K] extends { optional: true }
      ? ConfigFieldValue<S[K]> | undefined
      : ConfigFieldValue<S[K]>;
};
