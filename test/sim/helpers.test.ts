import { describe, expect, it } from 'vitest';
import { jainIndex, maxMinShares, mean, percentile } from '../../src/sim/fairness.ts';
import { EventHeap } from '../../src/sim/heap.ts';
import { dist } from '../../src/sim/metrics.ts';
import { escapeXml, niceScale, renderChart } from '../../src/sim/svg.ts';

describe('percentiles and Jain', () => {
  const ten = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
  it('nearest-rank percentiles', () => {
    expect(percentile(ten, 50)).toBe(5);
    expect(percentile(ten, 90)).toBe(9);
    expect(percentile(ten, 95)).toBe(10);
    expect(percentile(ten, 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
    expect(mean(ten)).toBe(5.5);
    expect(dist(ten)).toEqual({ n: 10, mean: 5.5, p50: 5, p95: 10, p99: 10, max: 10 });
  });
  it("Jain's index on known values", () => {
    expect(jainIndex([1, 1, 1, 1])).toBe(1);
    expect(jainIndex([1, 0, 0, 0])).toBe(0.25);
    expect(jainIndex([1, 2])).toBeCloseTo(9 / 10);
    expect(jainIndex([])).toBe(1);
  });
  it('max-min fair shares', () => {
    expect(maxMinShares([1, 10, 10], 9)).toEqual([1, 4, 4]);
    expect(maxMinShares([1, 2], 10)).toEqual([1, 2]);
  });
});

describe('event heap', () => {
  it('pops by time, then insertion order', () => {
    const h = new EventHeap<{ time: number; seq: number }>();
    [5, 1, 3, 1, 9, 0].forEach((time, seq) => h.push({ time, seq }));
    const out: number[] = [];
    while (h.size > 0) out.push(h.pop()!.seq);
    expect(out).toEqual([5, 1, 3, 2, 0, 4]);
  });
});

/** Tags in document order; checks that every opened tag closes in order. */
function balanced(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (self === '/') continue;
    if (close === '/') {
      if (stack.pop() !== name) return false;
    } else stack.push(name!);
  }
  return stack.length === 0;
}

describe('svg', () => {
  it('is well-formed', () => {
    const svg = renderChart({
      title: 'A <test> & "chart"',
      groups: ['startup', 'university'],
      series: [
        { name: 'fifo', values: [1.5, NaN] },
        { name: 'suanli', values: [0.5, 2] },
      ],
      barLabel: 'hours',
      lines: [{ name: 'fifo', values: [0.1, 0.5, 0.9] }],
      stepLabel: 'day',
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(balanced(svg)).toBe(true);
    expect(svg).toContain('A &lt;test&gt; &amp; &quot;chart&quot;');
    expect(svg).not.toMatch(/NaN|undefined/);
  });
  it('helpers', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    expect(niceScale(7.3)).toEqual({ top: 8, step: 2 });
  });
});
