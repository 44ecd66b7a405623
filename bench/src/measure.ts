/** One thing to measure: `prepare` once, then `round(n)` runs n calls and waits for export. */
export interface Variant {
  name: string;
  round(calls: number): Promise<void>;
  dispose?(): Promise<void>;
}

export interface Measurement {
  name: string;
  /** Median wall-clock microseconds per call over the rounds. */
  medianMicros: number;
  /** Median CPU microseconds (user + system, this process only) per call over the rounds. */
  medianCpuMicros: number;
  rounds: number[];
}

/** Runs the variants in interleaved rounds (A B C A B C …) after a warm-up, and takes medians. */
export async function measureInterleaved(
  variants: Variant[],
  options: { rounds: number; callsPerRound: number; warmupRounds: number },
): Promise<Measurement[]> {
  const samples = new Map<string, number[]>(variants.map((variant) => [variant.name, []]));
  const cpuSamples = new Map<string, number[]>(variants.map((variant) => [variant.name, []]));
  for (let round = 0; round < options.warmupRounds + options.rounds; round++) {
    for (const variant of variants) {
      const started = process.hrtime.bigint();
      const cpuStarted = process.cpuUsage();
      await variant.round(options.callsPerRound);
      const cpu = process.cpuUsage(cpuStarted);
      const elapsed = Number(process.hrtime.bigint() - started) / 1000 / options.callsPerRound;
      if (round >= options.warmupRounds) {
        samples.get(variant.name)!.push(elapsed);
        cpuSamples.get(variant.name)!.push((cpu.user + cpu.system) / options.callsPerRound);
      }
    }
  }
  return variants.map((variant) => {
    const rounds = samples.get(variant.name)!;
    return {
      name: variant.name,
      medianMicros: median(rounds),
      medianCpuMicros: median(cpuSamples.get(variant.name)!),
      rounds,
    };
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 0 ? (sorted[middle - 1]! + sorted[middle]!) / 2 : sorted[middle]!;
}

export function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

/** Prints rows as an aligned text table. */
export function printTable(title: string, header: string[], rows: Array<Array<string | number>>): void {
  const cells = [
    header,
    ...rows.map((row) => row.map((cell) => (typeof cell === "number" ? formatNumber(cell) : cell))),
  ];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => String(row[column] ?? "").length)));
  console.log(`\n${title}`);
  for (const [index, row] of cells.entries()) {
    console.log(`  ${row.map((cell, column) => String(cell).padEnd(widths[column]!)).join("  ")}`);
    if (index === 0) console.log(`  ${widths.map((width) => "-".repeat(width)).join("  ")}`);
  }
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
