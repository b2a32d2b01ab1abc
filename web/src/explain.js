// Rates and commission explanations in the words a merchant reads: basis points as percentages
// with two decimals, and the server's explanation (written in minor units and basis points, e.g.
// "order 21485 -> rule r2 percent 1000 bps: 21485 * 1000 / 10000 = 2148 (rounded half to even);
// total 2148") rewritten in money: "10.00 % of $214.85 = $21.48, rounded half to even (rule r2,
// version 3)". Integers only. A part of the text this does not recognise is kept as it is, so a
// new kind of explanation still shows, only less polished.
import { money } from './common.js';

// 1250 → "12.50 %"
export function bpsPercent(bps) {
  const n = Math.abs(Number(bps) || 0);
  return `${bps < 0 ? '−' : ''}${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')} %`;
}

// "12.5", "12.50 %", "7" → 1250, 1250, 700 basis points; null when it is not a percentage with at
// most two decimals.
export function parsePercent(text) {
  const m = /^(\d{1,7})(?:[.,](\d{0,2}))?$/.exec(String(text).trim().replace(/\s*%$/, ''));
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'));
}

// The same number written for an input (no % sign): 1250 → "12.50".
export function bpsInput(bps) { return bpsPercent(bps).replace(' %', ''); }

// An amount of minor units written for an input, in the currency's units: 21485 → "214.85".
export function moneyInput(minor, cur) {
  return minor == null ? '' : money(minor, cur).replace(/[^\d.]/g, '');
}

// (base * bps) is not a multiple of 10000: the commission was rounded (half to even).
function inexact(base, bps) {
  try { return (BigInt(base) * BigInt(bps)) % 10000n !== 0n; } catch { return false; }
}

// The commission's explanation in money. c: a commission as the API answers it (explanation,
// currency, rule_version; level > 0 for a parent's share).
export function explainMoney(c) {
  const text = c.explanation || '';
  const m = (n) => money(Number(n), c.currency);
  const ruleRef = (id) => `(rule ${id}${c.rule_version != null ? `, version ${c.rule_version}` : ''})`;
  const rate = (bps, base, amount, rounded) =>
    `${bpsPercent(Number(bps))} of ${m(base)} = ${m(amount)}${rounded ? ', rounded half to even' : ''}`;
  const rules = [
    // a level-N parent's share of the commission below it
    [/^level (\d+) parent of (\S+): (\d+) \* (\d+) bps \/ 10000 = (\d+) \(half to even\)/,
      (_, level, child, base, bps, amount) => `level ${level} parent share: ${rate(bps, base, amount, inexact(base, bps))} of ${child}’s commission`],
    [/^lead rule (\S+): flat (\d+)/, (_, id, amount) => `${m(amount)} per lead ${ruleRef(id)}`],
    [/rule (\S+) percent, tier from (\d+) \(month revenue before (\d+)\) (\d+) bps: (\d+) \* \d+ \/ 10000 = (\d+)( \(rounded half to even\))?/g,
      (_, id, from, before, bps, base, amount, r) => `${rate(bps, base, amount, r)} ${ruleRef(id)}, the tier from ${m(from)} (revenue this month before: ${m(before)})`],
    [/rule (\S+) percent, below the first tier \(month revenue before (\d+)\) 0 bps: (\d+) \* \d+ \/ 10000 = (\d+)/g,
      (_, id, before, base, amount) => `${rate(0, base, amount, false)} ${ruleRef(id)}, below the first tier (revenue this month before: ${m(before)})`],
    [/rule (\S+) percent (\d+) bps: (\d+) \* \d+ \/ 10000 = (\d+)( \(rounded half to even\))?/g,
      (_, id, bps, base, amount, r) => `${rate(bps, base, amount, r)} ${ruleRef(id)}`],
    [/rule (\S+) flat (\d+) per conversion( \(already counted\))?/g,
      (_, id, amount, counted) => `${m(amount)} flat per order${counted ? ' (already counted)' : ''} ${ruleRef(id)}`],
    [/^order (\d+) -> /, (_, amount) => `Order of ${m(amount)}: `],
    [/item (\d+) \(sku (.*?), category (.*?)\) (\d+) x (\d+) = (\d+) -> /g,
      (_, i, sku, cat, qty, unit, line) => `item ${Number(i) + 1} (sku ${sku}, category ${cat}) ${qty === '1' ? m(line) : `${qty} × ${m(unit)} = ${m(line)}`}: `],
    [/; total((?: \+? ?[^\s;+=]+ \d+)+) = (\d+)/,
      (_, parts, total) => `; total ${parts.trim().replace(/(\S+) (\d+)/g, (__, id, a) => `${id} ${m(a)}`)} = ${m(total)}`],
    [/; total (\d+)/, (_, total) => `; total ${m(total)}`],
    [/; monthly cap (\d+) with (\d+) earned this month: cut by (\d+) to (\d+)/,
      (_, cap, earned, cut, to) => `; monthly cap ${m(cap)} with ${m(earned)} earned this month: cut by ${m(cut)} to ${m(to)}`],
    [/no rule/g, () => 'no rule matched'],
  ];
  let out = text;
  for (const [re, fn] of rules) out = out.replace(re, fn);
  return out;
}
