import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, IsUrl, Matches, MaxLength } from 'class-validator';
import { TENANT_ID_PATTERN } from '../../common/auth/principal';

const URL_OPTIONS = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };
const TENANT_MESSAGE = 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -';

export class CheckoutDto {
  @ApiProperty({ example: 't1' })
  @IsString()
  @Matches(TENANT_ID_PATTERN, { message: TENANT_MESSAGE })
  tenantId: string;

  @ApiProperty({ example: 'team-monthly' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  planId: string;

  @ApiProperty({ example: 'https://app.example.com/billing/success', description: 'Where Stripe sends the customer after paying' })
  @IsUrl(URL_OPTIONS)
  @MaxLength(2048)
  successUrl: string;

  @ApiProperty({ example: 'https://app.example.com/billing', description: 'Where Stripe sends the customer on cancel' })
  @IsUrl(URL_OPTIONS)
  @MaxLength(2048)
  cancelUrl: string;
}

export class PortalDto {
  @ApiProperty({ example: 't1' })
  @IsString()
  @Matches(TENANT_ID_PATTERN, { message: TENANT_MESSAGE })
  tenantId: string;

  @ApiProperty({ example: 'https://app.example.com/billing', description: 'Where the portal sends the customer back' })
  @IsUrl(URL_OPTIONS)
  @MaxLength(2048)
  returnUrl: string;
}

export class CheckoutSessionDto {
  @ApiProperty({ example: 'cs_test_a1b2c3' }) sessionId: string;
  @ApiProperty({ example: 'https://checkout.stripe.com/c/pay/cs_test_a1b2c3' }) url: string;
}

export class PortalSessionDto {
  @ApiProperty({ example: 'https://billing.stripe.com/p/session/test_abc' }) url: string;
}

export class PaymentIntentDto {
  @ApiProperty({ example: 'pi_3Nabc' }) paymentIntentId: string;
  @ApiProperty({ example: 'pi_3Nabc_secret_xyz', description: 'For Stripe.js on the payer side; never logged' }) clientSecret: string;
  @ApiProperty({ example: 11306, description: "The invoice's amountDueCents" }) amountCents: number;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ format: 'uuid' }) invoiceId: string;
  @ApiProperty({ example: 'requires_payment_method', description: "Stripe's status of the payment intent" }) status: string;
}

export class WebhookAckDto {
  @ApiProperty({ example: true, enum: [true] }) received: boolean;
  @ApiProperty({ example: false, description: 'true when this event id had been processed before (nothing was done again)' }) duplicate: boolean;
  @ApiProperty({ type: String, nullable: true, example: 'invoice_paid', description: 'What processing the event did (ignored: … for types not handled)' })
  outcome: string | null;
}
