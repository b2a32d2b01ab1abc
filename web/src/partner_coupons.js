// The partner's coupon codes on its overview, each with a copy button: a customer who types one
// at checkout credits the partner, link or no link.
import { h, section, copyButton } from './common.js';

export function couponsSection(me) {
  if (!me.coupons || !me.coupons.length) return null;
  return section('Your coupons',
    h('p', {}, 'Share these codes; a sale that uses one is credited to you.'),
    h('ul', { class: 'coupons', id: 'coupons' }, me.coupons.map((c) => h('li', { class: 'linkbox' }, h('code', {}, c), copyButton(c, 'Copy code')))));
}
