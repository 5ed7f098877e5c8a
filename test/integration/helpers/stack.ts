import { inject } from 'vitest';
import type { StackEndpoints } from '../../../infra/local/stack';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoints of the local stack, provided by test/integration/global-setup.ts. */
    sluiceStack: StackEndpoints;
  }
}

/**
 * The stack's endpoints (Kafka bootstrap, DynamoDB and S3 URLs) as the global setup provided
 * them. The same values are in `process.env` (`SLUICE_KAFKA_BROKERS`, `AWS_ENDPOINT_URL_*`).
 */
export function injectedStack(): StackEndpoints {
  const endpoints = inject('sluiceStack');
  if (!endpoints) {
    throw new Error(
      'no local stack endpoints: run integration tests through vitest (project "integration"), ' +
        'whose global setup starts the stack (or start it with `npm run stack:up`)',
    );
  }
  return endpoints;
}
