import type { ComponentName } from '../components';
import type { StackRequest } from '../stack-request';

/**
 * How long a component usually takes to create, so the workflow's first wait lands near the
 * end instead of polling from the start (and burning state transitions); then polling with
 * backoff, and a deadline after which the component is declared failed. Typical durations are
 * CloudFormation's usual times for these resources in us-east-1: an RDS instance takes ~7–10
 * minutes (Multi-AZ longer), an ALB ~3, a NAT gateway ~2, an ASG-backed instance ~1–2.
 */
export function typicalCreateSeconds(component: ComponentName, request: StackRequest): number {
  switch (component) {
    case 'network':
      return 25;
    case 'nat':
      return request.network.nat === 'instance' ? 75 : 110;
    case 'security':
      return 15;
    case 'endpoints':
      return 90;
    case 'secrets':
      return 10;
    case 'database':
      return request.database?.multiAz ? 900 : 480;
    case 'cluster':
      return 90;
    case 'frontend':
      return request.frontend.type === 'apigateway' ? 60 : 180;
    case 'bastion':
      return 45;
  }
}

export function typicalDeleteSeconds(component: ComponentName, request: StackRequest): number {
  return component === 'database' ? (request.database?.multiAz ? 600 : 360) : Math.max(10, Math.round(typicalCreateSeconds(component, request) / 2));
}

/** Beyond this, a component still in progress is failed (and rolled back). */
export function deadlineSeconds(component: ComponentName, request: StackRequest): number {
  return Math.max(1800, typicalCreateSeconds(component, request) * 4);
}

/** After the first wait: 10 s, growing by half each poll, at most a minute. */
export function pollSeconds(attempt: number): number {
  return Math.min(60, Math.round(10 * 1.5 ** attempt));
}
