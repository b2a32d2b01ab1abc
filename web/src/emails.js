// The merchant dashboard's Emails page: the email outbox, newest first, with where each message
// stands and, while it is not sent (no smtp_url, or it failed), the link it carries to hand over.
import { h, pagedList, section, field, badge, dateTime, copyButton } from './common.js';

const STATUSES = ['all', 'not_sent', 'queued', 'sending', 'retrying', 'sent', 'failed'];

export function emailsPage() {
  const status = h('select', { name: 'status', 'aria-label': 'Status' }, STATUSES.map((s) => h('option', { value: s }, s)));
  const list = pagedList('/api/v1/emails', [
    { key: 'created', label: 'Queued', nowrap: true, render: (e) => dateTime(e.created) },
    { key: 'to', label: 'To', render: (e) => e.to },
    { key: 'kind', label: 'Kind', render: (e) => e.kind.replace(/_/g, ' ') },
    { key: 'subject', label: 'Subject', render: (e) => e.subject || '—' },
    { key: 'status', label: 'Status', render: (e) => badge(e.status) },
    { key: 'attempts', label: 'Attempts', num: true, render: (e) => String(e.attempts) },
    { key: 'last_error', label: 'Last error', render: (e) => e.last_error || '—' },
    { key: 'link', label: 'Link to hand over', csv: (e) => e.link || '', render: (e) => (e.link
      ? h('span', { class: 'linkbox' }, h('code', { class: 'secret', 'data-link': e.id }, e.link), copyButton(e.link, 'Copy link'))
      : '—') },
  ], {
    id: 'emails', what: 'emails', csvName: 'emails.csv',
    query: () => ({ status: status.value === 'all' ? '' : status.value }),
    empty: () => (status.value !== 'all' ? ['No email in this status.', 'Pick another status.']
      : ['No email yet.', 'Invites, application decisions, password resets, digests and payouts are listed here.']),
  });
  status.addEventListener('change', () => list.reset());
  list.reset();
  return [section('Emails',
    h('p', { class: 'hint' }, 'Without smtp_url nothing is sent: hand over the links shown here yourself.'),
    h('div', { class: 'filters' }, field('Status', status)), list.el)];
}
