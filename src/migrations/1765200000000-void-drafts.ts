import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A draft may be voided (CONTRACT.md, Invoice: void on a draft or an open invoice). A voided
 * draft takes no number, so the per-tenant sequence keeps no gap: only drafts and void invoices
 * may lack a number, and a draft never has one.
 */
export class VoidDrafts1765200000000 implements MigrationInterface {
  name = 'VoidDrafts1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await this.dropNumberCheck(q);
    await q.query(`ALTER TABLE invoices ADD CONSTRAINT invoices_number_when_issued CHECK (number IS NOT NULL OR status IN ('draft', 'void'))`);
    await q.query(`ALTER TABLE invoices ADD CONSTRAINT invoices_draft_unnumbered CHECK (status <> 'draft' OR number IS NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The old rule has no place for a numberless void invoice: voided drafts (which billed nothing) go.
    await q.query(`DELETE FROM invoices WHERE status = 'void' AND number IS NULL`);
    await q.query('ALTER TABLE invoices DROP CONSTRAINT invoices_number_when_issued');
    await q.query('ALTER TABLE invoices DROP CONSTRAINT invoices_draft_unnumbered');
    await q.query(`ALTER TABLE invoices ADD CHECK ((status = 'draft') = (number IS NULL))`);
  }

  /** The original check was unnamed: found by its definition. */
  private async dropNumberCheck(q: QueryRunner): Promise<void> {
    const rows: Array<{ conname: string }> = await q.query(
      `SELECT conname FROM pg_constraint WHERE conrelid = 'invoices'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%number IS NULL%'`,
    );
    for (const r of rows) await q.query(`ALTER TABLE invoices DROP CONSTRAINT "${r.conname}"`);
  }
}
