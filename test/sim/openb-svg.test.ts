import { describe, expect, it } from 'vitest';
import { renderOpenbChart } from '../../src/sim/openb-svg.ts';

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

describe('openb chart', () => {
  const svg = renderOpenbChart({
    title: 'openb <test> & "chart"',
    note: 'The platform allocates whole accelerators (a fractional pod gets a whole GPU).',
    levels: [100, 130],
    series: [
      { name: 'fifo (whole GPUs)', values: [81.8, 81.8], kind: 'ours' },
      { name: 'suanli (whole GPUs)', values: [82.1, NaN], kind: 'ours' },
      { name: 'reference best fit with GPU sharing (src/sim)', values: [95.9, 96], kind: 'reference' },
      { name: '01-Random', values: [86.3, 87.47], kind: 'published' },
      { name: '06-FGD', values: [95.23, 95.39], kind: 'published' },
    ],
  });

  it('is well-formed SVG', () => {
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(balanced(svg)).toBe(true);
    expect(svg).not.toMatch(/NaN|undefined/);
    expect(svg).toContain('openb &lt;test&gt; &amp; &quot;chart&quot;');
  });

  it('names every policy and labels the axes, levels, legend and note', () => {
    for (const name of ['fifo (whole GPUs)', 'suanli (whole GPUs)', 'reference best fit', '01-Random', '06-FGD'])
      expect(svg).toContain(name);
    expect(svg).toContain('GPU allocation ratio');
    expect(svg).toContain('arrived workload');
    expect(svg).toContain('100 % of cluster GPUs arrived');
    expect(svg).toContain('130 % of cluster GPUs arrived');
    expect(svg).toContain('FGD paper (GPU sharing, published)');
    expect(svg).toContain('whole accelerators');
    // 9 finite values → 9 bars (plus the background and 5 legend swatches).
    expect(svg.match(/<rect [^>]*><title>/g)?.length).toBe(9);
  });
});
