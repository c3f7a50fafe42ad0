import {
  ForbiddenError,
  InvalidInputError,
  TooLargeError,
  UpstreamError,
  type GeoworksErrorOptions,
} from '@geoworks/errors';

/** A task parameter is missing or unusable (HTTP 400, `BadRequestError` on the wire). */
export class BadTaskParameterError extends InvalidInputError {
  readonly parameter: string;

  constructor(parameter: string, message: string) {
    super(message, { code: 'BAD_TASK_PARAMETER', details: { parameter } });
    this.parameter = parameter;
  }
}

/** A URL points at a host outside the configured allow-list (or leaves it by a redirect). */
export class HostNotAllowedError extends ForbiddenError {
  readonly host: string;

  constructor(host: string, what: string) {
    super(`${what}: host "${host}" is not in the allowed hosts`, {
      code: 'HOST_NOT_ALLOWED',
      details: { host },
    });
    this.host = host;
  }
}

/**
 * A URL leads to an address outside the public internet (loopback, private network,
 * link-local, cloud metadata, ...) and its host is not named in the allow-list: the packager
 * must not be a way into the networks it runs in.
 */
export class PrivateAddressError extends ForbiddenError {
  readonly host: string;
  readonly address: string;
  /** What the address is, such as `a loopback address`. */
  readonly range: string;

  constructor(what: string, host: string, address: string, range: string) {
    const literal = host.replace(/^\[|\]$/g, '') === address;
    super(
      `${what}: host "${host}" ${literal ? 'is' : `resolves to ${address},`} ${range}; such hosts are refused unless named in the allowed hosts`,
      { code: 'PRIVATE_ADDRESS', details: { host, address, range } },
    );
    this.host = host;
    this.address = address;
    this.range = range;
  }
}

/** CKAN (or the file server) answered with an HTTP error or `success: false`. */
export class CkanError extends UpstreamError {
  /** HTTP status, when CKAN answered at all. */
  readonly status: number | undefined;
  /** CKAN's `error.__type`, such as `Not Found Error`. */
  readonly ckanType: string | undefined;
  /** True when trying again later may work (network errors, 5xx, 429). */
  readonly transient: boolean;

  constructor(
    message: string,
    facts: { status?: number; ckanType?: string; transient: boolean },
    options: GeoworksErrorOptions = {},
  ) {
    super(message, {
      code: 'CKAN_ERROR',
      details: { status: facts.status, ckanType: facts.ckanType },
      ...options,
    });
    this.status = facts.status;
    this.ckanType = facts.ckanType;
    this.transient = facts.transient;
  }
}

/** A downloaded file or a CKAN answer is larger than the configured limit. */
export class DownloadTooLargeError extends TooLargeError {
  constructor(what: string, limitBytes: number) {
    super(`${what} is larger than the limit of ${limitBytes} bytes`, {
      code: 'DOWNLOAD_TOO_LARGE',
      details: { limitBytes },
    });
  }
}
