/**
 * `@creatorflow/sync/errors`: the error-code registry — every code, its
 * module, class and HTTP status (docs/errors.md). The error classes and their
 * guards are in the root entry.
 */
export {
  ERROR_CODE_PATTERN,
  ERROR_MODULES,
  ERROR_REGISTRY,
  errorCodesOf,
  httpStatusOfCode,
} from './error-codes.js';
export type { ErrorCodeInfo, ErrorCodeOf, ErrorModule, RegisteredErrorCode } from './error-codes.js';
