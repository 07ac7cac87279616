// Form building blocks: labelled inputs that carry the API field path they
// fill (data-field), the display of the API's error.fields next to those
// inputs, and reading values back into the JSON the API takes.

import { h, uid, replace } from './dom.js';
import { fieldLabel } from './words.js';

/**
 * A labelled input. opts: label, path (the API field path, e.g. "ndc"),
 * type (text, date, number-text, select, checkbox, textarea, password),
 * hint, required, value, options [[value, label]], autocomplete, inputmode,
 * readonly, id.
 */
export function field(opts) {
  const id = opts.id || uid('f');
  const hintId = opts.hint ? `${id}-hint` : null;
  const errId = `${id}-err`;
  const common = {
    id,
    name: opts.name || opts.path || id,
    'data-field': opts.path || null,
    'aria-describedby': [hintId, errId].filter(Boolean).join(' '),
    required: opts.required || null,
    readonly: opts.readonly || null,
    autocomplete: opts.autocomplete || 'off',
  };
  let control;
  if (opts.type === 'select') {
    control = h('select', common, (opts.options || []).map(([v, l]) => h('option', { value: v }, l)));
    if (opts.value !== undefined) control.value = opts.value;
  } else if (opts.type === 'checkbox') {
    control = h('input', { ...common, type: 'checkbox', checked: Boolean(opts.value) });
  } else if (opts.type === 'textarea') {
    control = h('textarea', { ...common, rows: opts.rows || 3 }, opts.value || '');
  } else {
    const type = opts.type === 'amount' || opts.type === 'decimal' || opts.type === 'integer' ? 'text' : (opts.type || 'text');
    const inputmode = opts.inputmode || (opts.type === 'amount' || opts.type === 'decimal' ? 'decimal' : opts.type === 'integer' ? 'numeric' : null);
    control = h('input', { ...common, type, inputmode, value: opts.value ?? '', spellcheck: type === 'text' ? 'false' : null, size: opts.size || null, maxlength: opts.maxlength || null });
  }
  control.dataset.kind = opts.type || 'text';
  const label = h('label', { for: id }, opts.label, opts.required ? h('span', { class: 'req' }, ' (required)') : null);
  const hint = opts.hint ? h('p', { class: 'hint', id: hintId }, opts.hint) : null;
  const err = h('p', { class: 'field-error', id: errId, hidden: true });
  const wrap = opts.type === 'checkbox'
    ? h('div', { class: 'field field-check' }, control, label, hint, err)
    : h('div', { class: 'field' }, label, hint, control, err);
  wrap.control = control;
  return wrap;
}

/** A radio group in a fieldset; the fieldset carries data-field. */
export function radios({ legend, path, options, value, name }) {
  const groupName = name || uid('r');
  const errId = uid('err');
  const set = h('fieldset', { class: 'radios', 'data-field': path, 'aria-describedby': errId },
    h('legend', null, legend),
    options.map(([v, l]) => {
      const id = uid('r');
      return h('div', { class: 'field-check' },
        h('input', { type: 'radio', id, name: groupName, value: v, checked: v === value }),
        h('label', { for: id }, l));
    }),
    h('p', { class: 'field-error', id: errId, hidden: true }));
  return set;
}

export function radioValue(fieldset) {
  const checked = fieldset.querySelector('input[type=radio]:checked');
  return checked ? checked.value : undefined;
}

/** The trimmed text of a control, or undefined when empty. */
export function text(control) {
  const v = control.value.trim();
  return v === '' ? undefined : v;
}

/**
 * A number the API reads as a JSON number. Text that looks like a plain
 * decimal becomes a number; anything else is sent as typed so that the
 * server's own problem ("must be a number") is shown; empty is left out.
 */
export function number(control) {
  const v = control.value.trim().replace(/^\$/, '').replace(/,/g, '');
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  return control.value.trim();
}

/** Removes every error shown in container. */
export function clearErrors(container) {
  for (const el of container.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute('aria-invalid');
  for (const el of container.querySelectorAll('.field-error')) replace(el).hidden = true;
  for (const el of container.querySelectorAll('.has-error')) el.classList.remove('has-error');
  const summary = container.querySelector('.error-summary');
  if (summary) replace(summary).hidden = true;
}

/** The element whose data-field is path, or of its nearest parent path. */
function target(container, path) {
  let p = path;
  while (p) {
    const el = container.querySelector(`[data-field="${CSS.escape(p)}"]`);
    if (el) return el;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    if (cut <= 0) break;
    p = p.slice(0, cut);
  }
  return null;
}

function errorSlot(el) {
  const ids = (el.getAttribute('aria-describedby') || '').split(' ');
  for (const id of ids) {
    const slot = id && document.getElementById(id);
    if (slot && slot.classList.contains('field-error')) return slot;
  }
  return null;
}

/**
 * Shows the API's error.fields: each problem under the field it names (or
 * the closest enclosing one), and a summary at the top of the form, with
 * links that move focus to each field. Focus goes to the summary.
 */
export function showFieldErrors(form, fields, message) {
  clearErrors(form);
  const summary = form.querySelector('.error-summary');
  const items = [];
  let first = null;
  for (const { field: path, problem } of fields) {
    const el = path ? target(form, path) : null;
    const text = `${fieldLabel(path)}: ${problem}`;
    if (el) {
      el.setAttribute('aria-invalid', 'true');
      const slot = errorSlot(el);
      if (slot) {
        slot.hidden = false;
        slot.append(h('span', null, slot.childNodes.length ? ` ${problem}` : problem));
      }
      const wrap = el.closest('.field, fieldset');
      if (wrap) wrap.classList.add('has-error');
      if (!first) first = el;
      items.push(h('li', null, h('a', {
        href: '#',
        onclick: (e) => { e.preventDefault(); (el.matches('fieldset') ? el.querySelector('input,select,textarea') || el : el).focus(); },
      }, text)));
    } else {
      items.push(h('li', null, text));
    }
  }
  if (summary) {
    summary.hidden = false;
    replace(summary,
      h('h2', { tabindex: '-1' }, message || 'Please correct the problems below'),
      h('ul', null, items));
    summary.querySelector('h2').focus();
  } else if (first) {
    first.focus();
  }
}

/** A box at the top of a form for its error summary (role=alert reads it out). */
export function errorSummary() {
  return h('div', { class: 'error-summary', role: 'alert', hidden: true });
}

/** A form-level message (not tied to a field), read out by screen readers. */
export function formMessage(form, message, kind = 'error') {
  const summary = form.querySelector('.error-summary');
  if (!summary) return;
  clearErrors(form);
  summary.hidden = false;
  summary.classList.toggle('is-info', kind !== 'error');
  replace(summary, h('p', { tabindex: '-1' }, message));
  summary.querySelector('p').focus();
}
