// A list that follows the API's next_cursor: the first page, then one more
// page for each press of "Show more", and a status line saying how many are
// shown. The claims search, the review workbasket, the appeals and the
// recoveries are such lists.

import * as api from './api.js';
import { h, replace } from './dom.js';
import { errorSummary } from './forms.js';

/**
 * Pages of a list. path: the GET path; query(cursor): its parameters (cursor among them);
 * key: the answer's array; isCurrent(): false once the view was left (a late answer is
 * dropped); show(rows, holder): renders every row so far; counted(n): the status line before
 * "; there are more"; failed(err): the message when a page cannot be loaded; holder, count,
 * more: the list's container, its status line and its "Show more" button. Returns
 * load(first), which loads the next page (the first again when first is true).
 */
export function pager({ path, query, key, isCurrent, show, counted, failed, holder, count, more }) {
  let cursor = null;
  let rows = [];
  const load = async (first) => {
    if (first) { cursor = null; rows = []; }
    more.disabled = true;
    try {
      const res = await api.get(`${path}${api.query(query(cursor))}`);
      if (!isCurrent()) return;
      rows.push(...(res.data[key] || []));
      cursor = res.data.next_cursor || null;
      show(rows, holder);
      count.textContent = `${counted(rows.length)}${cursor ? '; there are more' : ''}.`;
      more.hidden = !cursor;
    } catch (err) {
      if (!isCurrent()) return;
      replace(holder, h('p', { class: 'notice notice-error' }, failed(err)));
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', () => load(false));
  return load;
}

/**
 * A staff list with one filter, in m: the title, the intro, a form with the filter field and
 * "Show", then the list's status line, its container (id) and "Show more". The other options
 * are pager's. Returns the first page's loading.
 */
export function filteredList(m, { title, intro, filter, id, ...opts }) {
  const form = h('form', { novalidate: true, 'aria-label': title, class: 'search' });
  const holder = h('div', { id });
  const count = h('p', { role: 'status', class: 'hint' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show more');
  const load = pager({ ...opts, holder, count, more });
  form.append(errorSummary(), h('div', { class: 'grid' }, filter), h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Show')));
  form.addEventListener('submit', (e) => { e.preventDefault(); load(true); });
  replace(m, h('h1', { tabindex: '-1' }, title), h('p', null, intro), form, count, holder, more);
  return load(true);
}
