import { CanActivate, Injectable } from '@nestjs/common';
import { ProblemError } from '../common/errors/problem';
import { StripeGateway } from './stripe.gateway';

/** Without STRIPE_SECRET_KEY the Stripe routes answer 503 (after auth, before validation or idempotency). */
@Injectable()
export class StripeConfiguredGuard implements CanActivate {
  constructor(private readonly gateway: StripeGateway) {}

  canActivate(): boolean {
    if (!this.gateway.apiConfigured) throw new ProblemError('STRIPE_NOT_CONFIGURED', 'Stripe is not configured on this service (STRIPE_SECRET_KEY is unset)');
    return true;
  }
}
