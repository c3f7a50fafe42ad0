import { InvalidInputError } from '@geoworks/errors';

/** One setting that could not be used, as listed by `ConfigError`. */
export interface ConfigProblem {
  /** The setting's environment variable, such as `PORT`. */
  variable: string;
  /** What is wrong, already free of secret values. */
  message: string;
}

/**
 * The configuration cannot be used. Thrown once with every problem found, so an operator fixes
 * the whole environment in one go instead of one variable per restart.
 */
export class ConfigError extends InvalidInputError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(
      `Invalid configuration (${count}):\n${problems.map((p) => `  ${p.message}`).join('\n')}`,
      {
        code: 'INVALID_CONFIG',
        details: { problems },
      },
    );
    this.problems = problems;
  }
}
