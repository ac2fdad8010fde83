import { fmt } from './stats';

export interface Goal {
  op: '>=' | '<=';
  target: number;
}

export interface Figure {
  bench: string;
  name: string;
  /** null when the step that measures it failed. */
  value: number | null;
  unit: string;
  goal?: Goal;
}

function status(f: Figure): string {
  if (!f.goal) return '';
  if (f.value === null || !Number.isFinite(f.value)) return 'N/A';
  const ok = f.goal.op === '>=' ? f.value >= f.goal.target : f.value <= f.goal.target;
  return ok ? 'PASS' : 'MISS';
}

function show(value: number | null, unit: string): string {
  if (value === null) return 'n/a';
  if (unit === '×') return `${fmt(value, 2)}×`;
  return `${fmt(value, unit === '' && Number.isInteger(value) ? 0 : undefined)}${unit ? ` ${unit}` : ''}`;
}

/** Collects every figure, prints it as it comes, and prints the summary table at the end. */
export class Report {
  private readonly figures: Figure[] = [];
  private readonly failures: Array<{ bench: string; message: string }> = [];

  add(f: Figure): void {
    this.figures.push(f);
    const goal = f.goal ? `   (goal ${f.goal.op} ${show(f.goal.target, f.unit)}: ${status(f)})` : '';
    console.log(`  ${f.name.padEnd(58)} ${show(f.value, f.unit).padStart(16)}${goal}`);
  }

  fail(bench: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.failures.push({ bench, message });
    console.log(`  !! ${bench} failed: ${err instanceof Error ? (err.stack ?? message) : message}`);
  }

  get failed(): boolean {
    return this.failures.length > 0;
  }

  printSummary(): void {
    const rows = this.figures.map((f) => [f.bench, f.name, show(f.value, f.unit), f.goal ? `${f.goal.op} ${show(f.goal.target, f.unit)}` : '', status(f)]);
    const head = ['bench', 'figure', 'value', 'goal', 'result'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ');
    console.log('\n=== Summary ===');
    console.log(line(head));
    console.log(widths.map((w) => '-'.repeat(w)).join('-+-'));
    for (const r of rows) console.log(line(r));
    const goals = this.figures.filter((f) => f.goal);
    const pass = goals.filter((f) => status(f) === 'PASS').length;
    console.log(`\n${pass}/${goals.length} goals met.`);
    for (const f of this.failures) console.log(`FAILED: ${f.bench}: ${f.message}`);
  }
}
