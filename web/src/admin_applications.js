// The merchant's pending applications (partners who signed up on the program's /join/ page):
// what each applicant wrote, with Approve and Reject (with an optional reason, sent to the
// applicant by email). Shown at the top of the Partners page.
import { h, api, section, day, formError, flash, emptyState } from './common.js';

function applicationCard(p, done) {
  const reason = h('textarea', { name: 'rejection_reason', rows: 2, maxlength: 1000, placeholder: 'Optional: why, in a sentence the applicant will read' });
  const rejectForm = h('form', { class: 'inline-form reject-form', hidden: true },
    h('label', { class: 'field wide' }, h('span', { class: 'label' }, 'Reason for rejecting'), reason),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'small danger', 'data-action': 'confirm-reject' }, 'Reject application'),
      h('button', { type: 'button', class: 'small secondary', onclick: () => { rejectForm.hidden = true; } }, 'Cancel')));
  const decide = async (button, body, message) => {
    button.disabled = true;
    try {
      await api('PATCH', `/api/v1/partners/${p.id}`, body);
      flash(message);
      done();
    } catch (e) { formError(rejectForm.hidden ? card : rejectForm, e); button.disabled = false; }
  };
  rejectForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = { status: 'rejected' };
    if (reason.value.trim()) body.rejection_reason = reason.value.trim();
    decide(ev.submitter || rejectForm.querySelector('button'), body, `${p.name}’s application is rejected.`);
  });
  const site = p.website && /^https?:\/\//i.test(p.website)
    ? h('a', { href: p.website, rel: 'noopener noreferrer nofollow', target: '_blank' }, p.website) : (p.website || '—');
  const card = h('article', { class: 'application', 'data-id': p.id },
    h('h3', {}, p.name),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Email'), h('dd', {}, p.email),
      h('dt', {}, 'Website'), h('dd', {}, site),
      h('dt', {}, 'How they promote'), h('dd', { class: 'promotion' }, p.promotion || '—'),
      h('dt', {}, 'Applied'), h('dd', {}, day(p.created))),
    h('div', { class: 'row-actions' },
      h('button', { type: 'button', class: 'small', 'data-action': 'approve-application', onclick: (e) => decide(e.target, { status: 'active' }, `${p.name} is approved and told by email.`) }, 'Approve'),
      h('button', { type: 'button', class: 'small danger', 'data-action': 'reject-application', onclick: () => { rejectForm.hidden = false; reason.focus(); } }, 'Reject…')),
    rejectForm);
  return card;
}

// The section; onChange runs after a decision (the page's partner list reloads).
export function applicationsSection(program, onChange) {
  const body = h('div', { id: 'applications', 'data-state': 'loading' }, h('p', { class: 'muted' }, 'Loading applications…'));
  const load = async () => {
    body.dataset.state = 'loading';
    try {
      const page = await api('GET', `/api/v1/partners?program_id=${program.id}&status=pending&limit=100`);
      const rows = page.data.map((p) => applicationCard(p, () => { load(); onChange(); }));
      body.replaceChildren(...(rows.length ? rows : [emptyState('No applications waiting.',
        `Partners apply at ${location.origin}/join/${program.slug}; their applications show here.`)]));
    } catch (e) {
      body.replaceChildren(h('p', { class: 'field-error' }, `Applications cannot be loaded: ${e.message}`));
    }
    body.dataset.state = 'ready';
  };
  load();
  return section('Applications', h('p', { class: 'muted' }, 'Your public signup page: ',
    h('a', { href: `/join/${program.slug}`, id: 'join-link' }, `${location.origin}/join/${program.slug}`)), body);
}
