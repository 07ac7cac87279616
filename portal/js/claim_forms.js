// The claim forms: a medical claim (lines and diagnosis codes added and
// removed) and a pharmacy reimbursement (the manual's required fields), and
// their submission with one Idempotency-Key per form, so that a double click
// or a retry after a lost answer never files twice (API.md).

import * as api from './api.js';
import { h, append } from './dom.js';
import { waitWords } from './words.js';
import { field, radios, radioValue, text, number, errorSummary, showFieldErrors, formMessage, clearErrors } from './forms.js';

const MAX_LINES = 50;
const MAX_DIAGNOSES = 12;

const RELATIONSHIPS = { employee: 'you, the employee', spouse: 'spouse', child: 'child', domestic_partner: 'domestic partner', dependent: 'dependent' };

/**
 * Whom a member may file for: the family of GET /v1/me (a subscriber's own
 * record and the covered family), or, for a dependent, their own record.
 * [[member_id, label, first_name]]
 */
export function familyChoices(memberId, family) {
  const list = (family || []).map((p) => [p.member_id, `${p.first_name} (${RELATIONSHIPS[p.relationship] || p.relationship}, ${p.member_id})`, p.first_name]);
  if (memberId && !list.some(([id]) => id === memberId)) list.unshift([memberId, `You (${memberId})`, '']);
  return list;
}

function patientFields(defaults) {
  const firstName = field({ label: 'First name', path: 'patient.first_name', required: true, autocomplete: 'off' });
  let who;
  if (defaults.family) {
    // A member files for self or the family: picked from a list, not typed.
    const choices = familyChoices(defaults.memberId, defaults.family);
    who = field({ label: 'Who is the claim for?', path: 'member_id', type: 'select', required: true, options: [['', 'Choose a person'], ...choices.map(([id, label]) => [id, label])], value: choices.length === 1 ? choices[0][0] : '' });
    const fill = () => {
      const c = choices.find(([id]) => id === who.control.value);
      if (c && c[2]) firstName.control.value = c[2];
    };
    who.control.addEventListener('change', fill);
    fill();
  } else {
    who = field({ label: 'Member ID of the patient', path: 'member_id', required: true, value: defaults.memberId || '', hint: 'As on the ID card, for example M1001-02.' });
  }
  return h('fieldset', null, h('legend', null, 'Patient'),
    h('p', { class: 'hint' }, 'One patient per claim. Write the name and birth date exactly as on the member\'s ID card.'),
    who,
    firstName,
    field({ label: 'Last name', path: 'patient.last_name', required: true, autocomplete: 'off' }),
    field({ label: 'Birth date', path: 'patient.birth_date', type: 'date', required: true }));
}

function otherInsuranceFields() {
  const box = field({ label: 'Another plan paid first, and I have its Explanation of Benefits', type: 'checkbox', name: 'has_other_insurance' });
  const set = h('fieldset', { hidden: true, 'data-field': 'other_insurance' }, h('legend', null, 'The other plan\'s Explanation of Benefits'),
    field({ label: 'Name of the other plan', path: 'other_insurance.payer_name', required: true }),
    field({ label: 'Amount the other plan allowed', path: 'other_insurance.allowed', type: 'amount', required: true, hint: 'In dollars, for example 120.00.' }),
    field({ label: 'Amount the other plan paid', path: 'other_insurance.paid', type: 'amount', required: true }),
    field({ label: 'Amount you owed after the other plan', path: 'other_insurance.patient_responsibility', type: 'amount', required: true }),
    field({ label: 'Date of the other plan\'s EOB', path: 'other_insurance.eob_date', type: 'date', required: true }),
    field({ label: 'Reference of the other plan\'s EOB document (optional)', path: 'attachments.primary_eob', hint: 'A document number or link, if you sent or uploaded it.' }));
  box.control.addEventListener('change', () => { set.hidden = !box.control.checked; });
  return { box, set };
}

function readOtherInsurance(form) {
  const on = form.querySelector('[name=has_other_insurance]');
  if (!on || !on.checked) return undefined;
  const f = (p) => form.querySelector(`[data-field="other_insurance.${p}"]`);
  return {
    payer_name: text(f('payer_name')),
    paid: number(f('paid')),
    allowed: number(f('allowed')),
    patient_responsibility: number(f('patient_responsibility')),
    eob_date: text(f('eob_date')),
  };
}

/**
 * attachments[] from the reference inputs present, each input's data-field
 * set to its real index so that an error on attachments[1].reference lands
 * on the right input.
 */
function readAttachments(form, kinds) {
  const list = [];
  for (const kind of kinds) {
    const input = form.querySelector(`[data-attachment="${kind}"]`);
    if (!input) continue;
    const reference = input.value.trim() === '' ? undefined : input.value;
    const on = !input.closest('[hidden]');
    if (reference !== undefined && on) {
      input.dataset.field = `attachments[${list.length}].reference`;
      list.push({ kind, reference });
    } else {
      input.dataset.field = `attachments.${kind}`;
    }
  }
  return list.length ? list : undefined;
}

function tagAttachment(wrap, kind) {
  wrap.control.dataset.attachment = kind;
  return wrap;
}

/** Leaves out undefined values (optional fields not filled in). */
function compact(obj) {
  if (Array.isArray(obj)) return obj.map(compact);
  if (obj && typeof obj === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = compact(v);
    return out;
  }
  return obj;
}

/* ---- medical ---- */

/**
 * A button that removes row from list (never the last one), renumbers the rest and puts the
 * focus in a neighbour's first input: the next row's first when nextFirst, else the previous
 * row's.
 */
function removeButton(label, list, row, renumber, nextFirst) {
  const button = h('button', { type: 'button', class: 'secondary small' }, label);
  button.addEventListener('click', () => {
    if (list.children.length <= 1) return;
    const near = nextFirst ? row.nextElementSibling || row.previousElementSibling
      : row.previousElementSibling || row.nextElementSibling;
    row.remove();
    renumber();
    const input = near && near.querySelector('input');
    if (input) input.focus();
  });
  return button;
}

function lineFieldset(list, renumber) {
  const set = h('fieldset', { class: 'line' },
    h('legend', null, 'Line'),
    field({ label: 'Service date', path: 'service_date', type: 'date', required: true }),
    field({ label: 'Procedure code (CPT or HCPCS)', path: 'procedure_code', required: true, hint: '5 characters, for example 99213.', size: 6, maxlength: 5 }),
    field({ label: 'Modifiers (optional)', path: 'modifiers', hint: 'Up to 4, separated by spaces or commas, for example 25 59.' }),
    field({ label: 'Units', path: 'units', type: 'integer', required: true, value: '1', size: 4 }),
    field({ label: 'Charge', path: 'charge', type: 'amount', required: true, hint: 'In dollars, for example 150.00.', size: 10 }));
  set.append(removeButton('Remove this line', list, set, renumber, true));
  return set;
}

function diagnosisField(list, renumber) {
  const wrap = field({ label: 'Diagnosis code', path: 'diagnosis_codes[0]', required: true, hint: null, size: 9, maxlength: 8 });
  wrap.classList.add('dx');
  wrap.append(removeButton('Remove', list, wrap, renumber, false));
  return wrap;
}

/* ---- a correction: the form filled from the claim it corrects ---- */

/** Sets the input of an API field path to value (a checkbox: checked); absent values are left. */
function setField(form, path, value) {
  const el = form.querySelector(`[data-field="${path}"]`);
  if (!el || value === undefined || value === null) return;
  if (el.type === 'checkbox') el.checked = Boolean(value);
  else el.value = String(value);
}

function setRadio(fieldset, value) {
  for (const r of fieldset.querySelectorAll('input[type=radio]')) r.checked = r.value === value;
}

/** An amount as the form shows it ("42.17"). */
function amountText(n) {
  return n === undefined || n === null ? undefined : Number(n).toFixed(2);
}

/** The parts every claim form shares: the patient and the other plan's EOB. */
function prefillCommon(form, s) {
  setField(form, 'member_id', s.member_id);
  setField(form, 'patient.first_name', s.patient && s.patient.first_name);
  setField(form, 'patient.last_name', s.patient && s.patient.last_name);
  setField(form, 'patient.birth_date', s.patient && s.patient.birth_date);
  const oi = s.other_insurance;
  const box = form.querySelector('[name=has_other_insurance]');
  if (oi && box) {
    box.checked = true;
    form.querySelector('fieldset[data-field=other_insurance]').hidden = false;
    setField(form, 'other_insurance.payer_name', oi.payer_name);
    setField(form, 'other_insurance.allowed', amountText(oi.allowed));
    setField(form, 'other_insurance.paid', amountText(oi.paid));
    setField(form, 'other_insurance.patient_responsibility', amountText(oi.patient_responsibility));
    setField(form, 'other_insurance.eob_date', oi.eob_date);
  }
}

/**
 * The medical claim form. role: 'member' | 'provider' | 'staff';
 * defaults: {memberId, npi, family, prefill, postPath}: prefill is the
 * submission a correction starts from, postPath where it is posted
 * (default /v1/claims); onFiled(summary) after a 202.
 */
export function medicalForm(role, defaults, onFiled) {
  const form = h('form', { class: 'claim-form', novalidate: true, 'aria-label': 'Medical claim' });
  const lines = h('div', { class: 'lines', 'data-field': 'lines' });
  const dx = h('div', { class: 'dx-list', 'data-field': 'diagnosis_codes' });
  const addLine = h('button', { type: 'button', class: 'secondary' }, 'Add a service line');
  const addDx = h('button', { type: 'button', class: 'secondary' }, 'Add a diagnosis code');

  const renumberLines = () => {
    [...lines.children].forEach((set, i) => {
      set.querySelector('legend').textContent = `Service line ${i + 1}`;
      for (const input of set.querySelectorAll('[data-line-field]')) input.dataset.field = `lines[${i}].${input.dataset.lineField}`;
      set.querySelector('button').hidden = lines.children.length <= 1;
    });
    addLine.disabled = lines.children.length >= MAX_LINES;
  };
  const renumberDx = () => {
    [...dx.children].forEach((wrap, i) => {
      const input = wrap.querySelector('input');
      input.dataset.field = `diagnosis_codes[${i}]`;
      wrap.querySelector('label').firstChild.textContent = `Diagnosis code ${i + 1}`;
      wrap.querySelector('button').hidden = dx.children.length <= 1;
    });
    addDx.disabled = dx.children.length >= MAX_DIAGNOSES;
  };
  const newLine = () => {
    const set = lineFieldset(lines, renumberLines);
    for (const input of set.querySelectorAll('[data-field]')) input.dataset.lineField = input.dataset.field;
    lines.append(set);
    renumberLines();
    return set;
  };
  const newDx = () => {
    const wrap = diagnosisField(dx, renumberDx);
    dx.append(wrap);
    renumberDx();
    return wrap;
  };
  addLine.addEventListener('click', () => newLine().querySelector('input').focus());
  addDx.addEventListener('click', () => newDx().querySelector('input').focus());
  newLine();
  newDx();

  const oi = otherInsuranceFields();
  const network = radios({ legend: 'Is the provider in the plan\'s network?', path: 'provider.network', options: [['in', 'In network'], ['out', 'Out of network']], value: 'in' });
  const itemized = field({ label: 'I am sending an itemized bill from the provider', path: 'itemized_bill', type: 'checkbox', hint: 'Required for an out-of-network provider. A canceled check or a balance-due statement does not count.' });
  const itemizedRef = tagAttachment(field({ label: 'Reference of the itemized bill (optional)', path: 'attachments.itemized_bill', hint: 'A document number or link, if you uploaded it.' }), 'itemized_bill');

  append(form, [
    errorSummary(),
    patientFields(defaults),
    role === 'staff' ? field({ label: 'Date the Claims Office received it (mailed claims only)', path: 'received_date', type: 'date', hint: 'Leave empty for today.' }) : null,
    h('fieldset', null, h('legend', null, 'Provider'),
      field({ label: 'Provider name', path: 'provider.name', required: true }),
      field({ label: 'Provider NPI', path: 'provider.npi', required: true, value: defaults.npi || '', readonly: role === 'provider', inputmode: 'numeric', hint: '10 digits, on the provider\'s bill.', size: 11, maxlength: 10 }),
      network,
      field({ label: 'The provider is a facility (hospital, clinic)', path: 'provider.facility', type: 'checkbox' }),
      field({ label: 'This was a hospital stay (inpatient)', path: 'inpatient', type: 'checkbox' })),
    h('fieldset', null, h('legend', null, 'Diagnosis codes'),
      h('p', { class: 'hint' }, 'ICD-10-CM codes from the bill, for example E11.9. At least 1, at most 12.'),
      dx, addDx),
    h('fieldset', null, h('legend', null, 'Services'), lines, addLine),
    h('fieldset', null, h('legend', null, 'Bill and payment'),
      itemized, itemizedRef,
      role === 'member' ? field({ label: 'Pay the provider directly: I signed the assignment of benefits', path: 'assignment_of_benefits', type: 'checkbox', hint: 'Otherwise an out-of-network benefit is paid to the employee.' }) : field({ label: 'The member signed the assignment of benefits (pay the provider)', path: 'assignment_of_benefits', type: 'checkbox' }),
      oi.box, oi.set),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'File this claim'))]);

  const read = () => {
    const f = (p) => form.querySelector(`[data-field="${p}"]`);
    const net = radioValue(network);
    const body = {
      type: 'medical',
      member_id: text(f('member_id')),
      patient: { first_name: text(f('patient.first_name')), last_name: text(f('patient.last_name')), birth_date: text(f('patient.birth_date')) },
      received_date: role === 'staff' ? text(f('received_date')) : undefined,
      provider: { npi: text(f('provider.npi')), name: text(f('provider.name')), network: net, facility: f('provider.facility').checked },
      inpatient: f('inpatient').checked,
      itemized_bill: f('itemized_bill').checked,
      diagnosis_codes: [...dx.querySelectorAll('input')].map((i) => i.value.trim()).filter((v) => v !== ''),
      lines: [...lines.children].map((set) => {
        const g = (name) => set.querySelector(`[data-line-field="${name}"]`);
        const mods = g('modifiers').value.split(/[\s,]+/).filter(Boolean);
        return { service_date: text(g('service_date')), procedure_code: text(g('procedure_code')), modifiers: mods, units: number(g('units')), charge: number(g('charge')) };
      }),
      assignment_of_benefits: f('assignment_of_benefits').checked,
      other_insurance: readOtherInsurance(form),
    };
    body.attachments = readAttachments(form, ['itemized_bill', 'primary_eob']);
    return compact(body);
  };
  if (defaults.prefill) {
    const p = defaults.prefill;
    prefillCommon(form, p);
    const want = p.lines || [];
    while (lines.children.length < want.length) newLine();
    want.forEach((l, i) => {
      const g = (name) => lines.children[i].querySelector(`[data-line-field="${name}"]`);
      g('service_date').value = l.service_date || '';
      g('procedure_code').value = l.procedure_code || '';
      g('modifiers').value = (l.modifiers || []).join(', ');
      g('units').value = l.units === undefined ? '' : String(l.units);
      g('charge').value = amountText(l.charge) || '';
    });
    const codes = p.diagnosis_codes || [];
    while (dx.children.length < codes.length) newDx();
    codes.forEach((c, i) => { dx.children[i].querySelector('input').value = c; });
    setField(form, 'provider.name', p.provider && p.provider.name);
    setField(form, 'provider.npi', p.provider && p.provider.npi);
    setField(form, 'provider.facility', p.provider && p.provider.facility);
    if (p.provider) setRadio(network, p.provider.network);
    setField(form, 'inpatient', p.inpatient);
    setField(form, 'itemized_bill', p.itemized_bill);
    setField(form, 'assignment_of_benefits', p.assignment_of_benefits);
  }
  wireSubmit(form, read, onFiled, defaults.postPath);
  return form;
}

/* ---- pharmacy ---- */

export function pharmacyForm(role, defaults, onFiled) {
  const form = h('form', { class: 'claim-form', novalidate: true, 'aria-label': 'Pharmacy reimbursement' });
  const oi = otherInsuranceFields();
  const network = radios({ legend: 'Is the pharmacy in the plan\'s network?', path: 'pharmacy.network', options: [['in', 'In network'], ['out', 'Out of network']], value: 'in' });
  append(form, [
    errorSummary(),
    h('p', null, 'For a prescription you paid for at the pharmacy counter. Take the details from the pharmacy receipt. Send it within 180 days of the fill date.'),
    patientFields(defaults),
    role === 'staff' ? field({ label: 'Date the Claims Office received it (mailed claims only)', path: 'received_date', type: 'date', hint: 'Leave empty for today.' }) : null,
    h('fieldset', null, h('legend', null, 'Pharmacy'),
      field({ label: 'Pharmacy name', path: 'pharmacy.name', required: true }),
      field({ label: 'Pharmacy NPI (optional)', path: 'pharmacy.npi', inputmode: 'numeric', value: role === 'provider' ? defaults.npi || '' : '', hint: '10 digits, if the receipt shows it.', size: 11, maxlength: 10 }),
      network),
    h('fieldset', null, h('legend', null, 'Prescription'),
      field({ label: 'NDC (National Drug Code)', path: 'ndc', required: true, hint: 'From the receipt or the label: 11 digits, or 10 digits with hyphens such as 0071-0155-23.', size: 14, maxlength: 15 }),
      field({ label: 'Drug name', path: 'drug_name', required: true, hint: 'As printed on the receipt, for example Lipitor 20 mg tablet.' }),
      field({ label: 'Prescription number (optional)', path: 'rx_number', hint: 'The pharmacy\'s Rx number.' }),
      field({ label: 'Fill date', path: 'fill_date', type: 'date', required: true }),
      field({ label: 'Quantity', path: 'quantity', type: 'decimal', required: true, hint: 'For example 30 tablets: 30.', size: 8 }),
      field({ label: 'Days supply', path: 'days_supply', type: 'integer', required: true, hint: 'How many days the fill lasts: 1 to 365.', size: 4 }),
      field({ label: 'Amount you paid', path: 'charge', type: 'amount', required: true, hint: 'In dollars, for example 42.17.', size: 10 })),
    h('fieldset', null, h('legend', null, 'Prescriber (optional)'),
      field({ label: 'Prescriber name', path: 'prescriber.name' }),
      field({ label: 'Prescriber NPI', path: 'prescriber.npi', inputmode: 'numeric', size: 11, maxlength: 10 })),
    h('fieldset', null, h('legend', null, 'Other coverage'), oi.box, oi.set),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'File this claim'))]);

  const read = () => {
    const f = (p) => form.querySelector(`[data-field="${p}"]`);
    const prescriberName = text(f('prescriber.name'));
    const prescriberNpi = text(f('prescriber.npi'));
    const body = {
      type: 'pharmacy',
      member_id: text(f('member_id')),
      patient: { first_name: text(f('patient.first_name')), last_name: text(f('patient.last_name')), birth_date: text(f('patient.birth_date')) },
      received_date: role === 'staff' ? text(f('received_date')) : undefined,
      pharmacy: { name: text(f('pharmacy.name')), npi: text(f('pharmacy.npi')), network: radioValue(network) },
      prescriber: prescriberName || prescriberNpi ? { name: prescriberName, npi: prescriberNpi } : undefined,
      ndc: text(f('ndc')),
      rx_number: text(f('rx_number')),
      fill_date: text(f('fill_date')),
      drug_name: text(f('drug_name')),
      quantity: number(f('quantity')),
      days_supply: number(f('days_supply')),
      charge: number(f('charge')),
      other_insurance: readOtherInsurance(form),
    };
    body.attachments = readAttachments(form, ['primary_eob']);
    return compact(body);
  };
  if (defaults.prefill) {
    const p = defaults.prefill;
    prefillCommon(form, p);
    setField(form, 'pharmacy.name', p.pharmacy && p.pharmacy.name);
    setField(form, 'pharmacy.npi', p.pharmacy && p.pharmacy.npi);
    if (p.pharmacy) setRadio(network, p.pharmacy.network);
    for (const k of ['ndc', 'drug_name', 'rx_number', 'fill_date', 'quantity', 'days_supply']) setField(form, k, p[k]);
    setField(form, 'charge', amountText(p.charge));
    setField(form, 'prescriber.name', p.prescriber && p.prescriber.name);
    setField(form, 'prescriber.npi', p.prescriber && p.prescriber.npi);
  }
  wireSubmit(form, read, onFiled, defaults.postPath);
  return form;
}

/**
 * Submits with the form's own Idempotency-Key. The key stays the same until
 * the claim is filed: an answer lost on the way (a network error) is retried
 * with the same key and the server answers the first 202 again. A 422 stores
 * nothing, so the corrected form may reuse the key.
 */
function wireSubmit(form, read, onFiled, path = '/v1/claims') {
  form.dataset.idempotencyKey = api.newIdempotencyKey();
  let busy = false;
  const button = form.querySelector('button[type=submit]');
  const label = button.textContent;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (busy) return;
    busy = true;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.textContent = 'Sending…';
    clearErrors(form);
    try {
      const res = await api.post(path, read(), { idempotencyKey: form.dataset.idempotencyKey });
      form.dataset.filed = 'true';
      onFiled(res.data, res.headers.get('Idempotent-Replayed') === 'true');
    } catch (err) {
      if (err.code === 'validation_failed' && err.fields.length) {
        showFieldErrors(form, err.fields, `The claim was not filed. Please correct ${err.fields.length === 1 ? 'this problem' : `these ${err.fields.length} problems`}:`);
      } else if (err.code === 'network') {
        formMessage(form, 'We could not reach the server, so we do not know whether the claim arrived. Press "File this claim" again: it will not be filed twice.');
      } else if (err.code === 'idempotency_key_reused') {
        formMessage(form, 'This form was already filed with other details. Look at your claims before filing again; reload this page to start a new claim.');
      } else if (err.status === 429) {
        formMessage(form, `Too many requests from you just now. Wait ${waitWords(err.retryAfter)}, then press "File this claim" again: it will not be filed twice.`);
      } else if (err.code === 'csrf_failed') {
        // The page goes back to sign-in (api.js); nothing was filed.
      } else if (err.code === 'already_voided' || err.code === 'already_replaced' || err.code === 'not_correctable') {
        formMessage(form, `This claim can no longer be corrected: ${err.message}`);
      } else if (err.status === 404) {
        formMessage(form, 'You may not correct this claim: only who filed it, or claims staff, may.');
      } else if (err.status === 403) {
        formMessage(form, 'You may not file this claim: a member files for self (the employee also for the family), a provider only under its own NPI.');
      } else {
        formMessage(form, `The claim was not filed: ${err.message}`);
      }
    } finally {
      busy = false;
      button.disabled = false;
      button.removeAttribute('aria-busy');
      button.textContent = label;
    }
  });
}

/* ---- information for a pended claim ---- */

/** The form answering a pended claim's request (POST /v1/claims/{id}/information). */
export function informationForm(claimId, needed, onDone) {
  const form = h('form', { class: 'claim-form', novalidate: true, 'aria-label': 'Send the requested information' });
  const parts = [errorSummary()];
  if (needed.includes('itemized_bill')) {
    parts.push(h('fieldset', null, h('legend', null, 'Itemized bill'),
      field({ label: 'I am sending the itemized bill from the provider', path: 'itemized_bill', type: 'checkbox', required: true, hint: 'A canceled check or a balance-due statement does not count.' }),
      tagAttachment(field({ label: 'Reference of the itemized bill', path: 'attachments.itemized_bill', hint: 'The document number or link of the uploaded bill.' }), 'itemized_bill')));
  }
  if (needed.includes('other_insurance') || needed.length === 0) {
    parts.push(h('fieldset', { 'data-field': 'other_insurance' }, h('legend', null, 'The other plan\'s Explanation of Benefits'),
      field({ label: 'Name of the other plan', path: 'other_insurance.payer_name', required: true }),
      field({ label: 'Amount the other plan allowed', path: 'other_insurance.allowed', type: 'amount', required: true }),
      field({ label: 'Amount the other plan paid', path: 'other_insurance.paid', type: 'amount', required: true }),
      field({ label: 'Amount you owed after the other plan', path: 'other_insurance.patient_responsibility', type: 'amount', required: true }),
      field({ label: 'Date of the other plan\'s EOB', path: 'other_insurance.eob_date', type: 'date', required: true, value: '' }),
      tagAttachment(field({ label: 'Reference of the other plan\'s EOB (optional)', path: 'attachments.primary_eob' }), 'primary_eob')));
  }
  parts.push(h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Send the information')));
  form.append(...parts);
  const key = api.newIdempotencyKey();
  let busy = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (busy) return;
    busy = true;
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    clearErrors(form);
    const f = (p) => form.querySelector(`[data-field="${p}"]`);
    const body = {};
    if (f('itemized_bill')) body.itemized_bill = f('itemized_bill').checked;
    if (f('other_insurance.payer_name')) {
      body.other_insurance = {
        payer_name: text(f('other_insurance.payer_name')),
        paid: number(f('other_insurance.paid')),
        allowed: number(f('other_insurance.allowed')),
        patient_responsibility: number(f('other_insurance.patient_responsibility')),
        eob_date: text(f('other_insurance.eob_date')),
      };
    }
    const attachments = readAttachments(form, ['itemized_bill', 'primary_eob']);
    if (attachments) body.attachments = attachments;
    try {
      await api.post(`/v1/claims/${encodeURIComponent(claimId)}/information`, compact(body), { idempotencyKey: key });
      onDone();
    } catch (err) {
      if (err.fields && err.fields.length) showFieldErrors(form, err.fields, 'The information was not sent. Please correct:');
      else if (err.code === 'not_pended') formMessage(form, 'This claim is no longer waiting for information.');
      else if (err.code === 'network') formMessage(form, 'We could not reach the server. Press "Send the information" again.');
      else formMessage(form, `The information was not sent: ${err.message}`);
    } finally {
      busy = false;
      button.disabled = false;
    }
  });
  return form;
}
