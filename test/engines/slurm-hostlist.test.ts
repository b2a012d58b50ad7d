import { describe, expect, it } from 'vitest';
import { expandHostlist } from '../../src/engines/slurm/hostlist.ts';

describe('Slurm hostlist expressions', () => {
  it('expands ranges, lists, zero padding and plain names', () => {
    expect(expandHostlist('hf1')).toEqual(['hf1']);
    expect(expandHostlist('hf[1-3]')).toEqual(['hf1', 'hf2', 'hf3']);
    expect(expandHostlist('hf[1,3-4],wh2')).toEqual(['hf1', 'hf3', 'hf4', 'wh2']);
    expect(expandHostlist('gpu[08-10]')).toEqual(['gpu08', 'gpu09', 'gpu10']);
    expect(expandHostlist('rack[1-2]-a')).toEqual(['rack1-a', 'rack2-a']);
    expect(expandHostlist('')).toEqual([]);
  });

  it('refuses what is not a hostlist', () => {
    expect(() => expandHostlist('hf[1-')).toThrow(/not a hostlist/);
    expect(() => expandHostlist('hf[a-b]')).toThrow(/not a hostlist range/);
  });
});
