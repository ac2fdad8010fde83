import { ConfigError } from '../config/app-config';

/**
 * Timing of the alert evaluator and the webhook dispatcher, read from the environment by this
 * module (the defaults are the service's behaviour; tests shorten them):
 *
 * | variable                    | default | meaning                                                        |
 * |-----------------------------|---------|----------------------------------------------------------------|
 * | ALERT_EVAL_INTERVAL_MS      | 2000    | evaluator tick: tenants with armed alerts and new usage; 0 = off |
 * | ALERT_FULL_EVAL_INTERVAL_MS | 30000   | slower cycle: every armed alert (forecasts, new periods)        |
 * | ALERT_DISPATCH_INTERVAL_MS  | 1000    | dispatcher tick (due outbox rows); 0 = off                      |
 * | ALERT_RETRY_BASE_MS         | 1000    | first retry delay; doubles per failed attempt                   |
 * | ALERT_RETRY_MAX_MS          | 60000   | cap of the retry delay                                          |
 * | ALERT_RETRY_WINDOW_MS       | 900000  | retrying stops (failed, recorded) once a delivery is this old   |
 * | ALERT_WEBHOOK_TIMEOUT_MS    | 5000    | timeout of one delivery attempt                                 |
 */
export interface RealtimeCostConfig {
  evalIntervalMs: number;
  fullEvalIntervalMs: number;
  dispatchIntervalMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  retryWindowMs: number;
  webhookTimeoutMs: number;
}

export const REALTIME_COST_CONFIG = Symbol('REALTIME_COST_CONFIG');

type Env = Record<string, string | undefined>;

function ms(env: Env, name: string, def: number, min: number, max: number): number {
  const v = env[name]?.trim();
  if (v === undefined || v === '') return def;
  if (!/^\d+$/.test(v)) throw new ConfigError(name, `must be a whole number of milliseconds, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

const HOUR = 3_600_000;

export function loadRealtimeCostConfig(env: Env = process.env): RealtimeCostConfig {
  return {
    evalIntervalMs: ms(env, 'ALERT_EVAL_INTERVAL_MS', 2000, 0, HOUR),
    fullEvalIntervalMs: ms(env, 'ALERT_FULL_EVAL_INTERVAL_MS', 30_000, 10, 24 * HOUR),
    dispatchIntervalMs: ms(env, 'ALERT_DISPATCH_INTERVAL_MS', 1000, 0, HOUR),
    retryBaseMs: ms(env, 'ALERT_RETRY_BASE_MS', 1000, 1, HOUR),
    retryMaxMs: ms(env, 'ALERT_RETRY_MAX_MS', 60_000, 1, 24 * HOUR),
    retryWindowMs: ms(env, 'ALERT_RETRY_WINDOW_MS', 15 * 60_000, 0, 7 * 24 * HOUR),
    webhookTimeoutMs: ms(env, 'ALERT_WEBHOOK_TIMEOUT_MS', 5000, 1, 60_000),
  };
}
