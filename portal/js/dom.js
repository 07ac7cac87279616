// Small DOM helpers. Text from the server or the user only ever becomes a text
// node or an attribute value, never markup: there is no innerHTML here.

let nextId = 0;

/** A fresh element id, unique in this page. */
export function uid(prefix = 'id') {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/**
 * h('p', {class: 'x', onclick: fn}, 'text', child) builds an element.
 * Attributes that are null, undefined or false are left out; true gives an
 * empty attribute; "on..." with a function adds a listener.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      el.className = value;
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (name === 'value' && 'value' in el) {
      el.value = value;
    } else if (name === 'checked') {
      el.checked = Boolean(value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces everything inside el with children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A definition list from [term, description] pairs (descriptions may be nodes). */
export function dl(pairs, cls = 'facts') {
  return h('dl', { class: cls }, pairs.filter((p) => p && p[1] !== undefined && p[1] !== null && p[1] !== '')
    .map(([term, desc]) => h('div', null, h('dt', null, term), h('dd', null, desc))));
}

/** A table inside a keyboard-scrollable region (tables are wide on a phone). */
export function table(caption, headers, rows, { captionHidden = false } = {}) {
  const cap = h('caption', { class: captionHidden ? 'visually-hidden' : null }, caption);
  const t = h('table', null, cap,
    h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', null, rows.map((cells) => h('tr', null, cells.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', null, c)))))));
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: '0' }, t);
}
