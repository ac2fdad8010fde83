import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Client, type ClientConfig } from 'pg';
import { DataSource } from 'typeorm';

export interface ChannelSubscriber {
  notified(payload: string): void;
  /**
   * true: LISTEN is in effect, every commit from now on will be heard. false: the connection
   * is gone, notifications may have been missed until the next true.
   */
  listening(up: boolean): void;
}

const HEARTBEAT_MS = 5_000;
const HEARTBEAT_TIMEOUT_MS = 5_000;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;

/**
 * LISTEN on a dedicated connection, not a pooled one (a pooled connection goes back to the pool
 * and hears nothing). The connection is watched: an error, its end or a heartbeat that does not
 * answer counts as lost, subscribers are told at once, and it is re-established with backoff.
 */
@Injectable()
export class PgListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PgListener.name);
  private readonly subscribers = new Map<string, ChannelSubscriber[]>();
  private client: Client | null = null;
  private up = false;
  private stopped = false;
  private failures = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;

  constructor(private readonly dataSource: DataSource) {}

  /** Call before the application bootstraps (from a constructor or onModuleInit). */
  subscribe(channel: string, subscriber: ChannelSubscriber): void {
    this.subscribers.set(channel, [...(this.subscribers.get(channel) ?? []), subscriber]);
  }

  get listening(): boolean {
    return this.up;
  }

  /** The backend pid of the listening connection (operations and tests), null while down. */
  get backendPid(): number | null {
    return this.up ? ((this.client as unknown as { processID: number | null })?.processID ?? null) : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.subscribers.size > 0) await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    const client = this.client;
    this.client = null;
    this.up = false;
    await client?.end().catch(() => undefined);
  }

  private connectionConfig(): ClientConfig {
    const o = this.dataSource.options as { url?: string; host?: string; port?: number; username?: string; password?: string; database?: string; ssl?: ClientConfig['ssl'] };
    return {
      connectionString: o.url,
      host: o.host,
      port: o.port,
      user: o.username,
      password: o.password,
      database: o.database,
      ssl: o.ssl,
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
      application_name: 'billing-service-listener',
    };
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client(this.connectionConfig());
    this.client = client;
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (n) => {
      if (client !== this.client || n.payload === undefined) return;
      for (const s of this.subscribers.get(n.channel) ?? []) s.notified(n.payload);
    });
    try {
      await client.connect();
      for (const channel of this.subscribers.keys()) await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    } catch (err) {
      this.lost(client, err as Error);
      return;
    }
    if (client !== this.client) return; // lost while connecting
    this.up = true;
    this.failures = 0;
    this.heartbeatTimer = setInterval(() => this.heartbeat(client), HEARTBEAT_MS);
    this.heartbeatTimer.unref();
    this.logger.log(`listening on ${[...this.subscribers.keys()].join(', ')}`);
    this.tell(true);
  }

  /** A connection that silently stopped answering (no RST) is noticed within two heartbeats. */
  private heartbeat(client: Client): void {
    const timeout = setTimeout(() => this.lost(client, new Error('heartbeat timed out')), HEARTBEAT_TIMEOUT_MS);
    client.query('SELECT 1').then(
      () => clearTimeout(timeout),
      (err: Error) => {
        clearTimeout(timeout);
        this.lost(client, err);
      },
    );
  }

  private lost(client: Client, err: Error): void {
    if (client !== this.client || this.stopped) return;
    this.client = null;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    const wasUp = this.up;
    this.up = false;
    client.removeAllListeners('notification');
    client.on('error', () => undefined); // late socket errors of the dead client
    void client.end().catch(() => undefined);
    if (wasUp) this.tell(false);
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.failures++) * (0.5 + Math.random() / 2);
    this.logger.warn(`listener connection lost (${err.message}); reconnecting in ${Math.round(delay)} ms`);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
    this.reconnectTimer.unref();
  }

  private tell(up: boolean): void {
    for (const list of this.subscribers.values()) for (const s of list) s.listening(up);
  }
}
