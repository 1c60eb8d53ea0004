import { GroundworkError } from '../../errors';

/**
 * The reachability analyser's named errors. They all mean that the templates we generated cannot be
 * read as a network, which is our fault and never the caller's: `POST /v1/plans` answers 500 and the
 * detail (which template, which resource) stays in the logs.
 */
export abstract class ReachabilityError extends GroundworkError {
  readonly status = 500;
  override readonly expose = false;
}

/** A Ref, GetAtt, Sub variable, parameter source or component output names something that does not exist. */
export class UnresolvedReferenceError extends ReachabilityError {
  readonly code = 'reachability-unresolved-reference';

  constructor(
    /** Where the reference was met: `security.Parameters.VpcId`, `nat.Resources.DefaultRoute1.Properties.RouteTableId`. */
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** An intrinsic function or template construct the resolver does not evaluate, where its value matters. */
export class UnsupportedTemplateError extends ReachabilityError {
  readonly code = 'reachability-unsupported-template';

  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/**
 * A resolved value has the wrong shape for the network model: a route whose target is not a
 * resource of the stack, a subnet whose CIDR is not in the plan, a placement no role can be given.
 */
export class NetworkModelError extends ReachabilityError {
  readonly code = 'reachability-network-model';

  constructor(
    /** The resource (`<component>.<LogicalId>`) and property the problem was found in. */
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}
