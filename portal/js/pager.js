// A list that follows the API's next_cursor: the first page, then one more
// page for each press of "Show more", and a status line saying how many are
// shown. The claims search, the review workbasket, the appeals and the
// recoveries are such lists.

import * as api from './api.js';
import { h, replace } from './dom.js';

/**
 * Pages of a list. path: the GET path; query(cursor): its parameters (cursor among them);
 * key: the answer's array; isCurrent(): false once the view was left (a late answer is
 * dropped); show(rows): renders every row so far; counted(n): the status line before
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
      show(rows);
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
