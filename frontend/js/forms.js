// Form errors: messages next to the field they concern, or at the top of the form.
import { ApiError, problemMessage } from './api.js';
import { h } from './dom.js';

function normalize(name) {
  return String(name || '')
    .replace(/\[(\d+)\]/g, '.$1')
    .replace(/\.(amount_minor|currency)$/, '')
    .replace(/^\.+/, '')
    .toLowerCase();
}

/** The input a JSON field ("shipping.city", "variants[1].price") names, if the form has one. */
export function findField(form, field) {
  if (!field) return null;
  const want = normalize(field);
  const controls = Array.from(form.elements).filter((el) => el.name && el.type !== 'submit' && el.type !== 'button');
  const exact = controls.find((el) => normalize(el.name) === want || normalize(el.dataset.field) === want);
  if (exact) return exact;
  // "shipping.city" vs name "city"; "city" vs name "shipping.city".
  const tail = want.split('.').pop();
  const byTail = controls.filter((el) => normalize(el.name).split('.').pop() === tail);
  return byTail.length === 1 ? byTail[0] : null;
}

/**
 * Takes over a form's submission. The page's HTML ships such forms with
 * method="post" and their submit buttons disabled, so nothing is sent
 * natively (no address or password in a URL) before this script runs; the
 * buttons come alive once the handler is attached.
 */
export function onSubmit(form, handler) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    return handler(event);
  });
  for (const button of form.querySelectorAll('button[type="submit"]')) button.disabled = false;
}

function formErrorBox(form) {
  let box = form.querySelector('[data-role="form-error"]');
  if (!box) {
    box = h('div', { class: 'alert alert-error', 'data-role': 'form-error', role: 'alert', tabindex: '-1', hidden: true });
    form.prepend(box);
  }
  return box;
}

export function clearErrors(form) {
  for (const el of form.querySelectorAll('[aria-invalid="true"]')) {
    el.removeAttribute('aria-invalid');
    const errId = el.dataset.errorId;
    if (errId) {
      const described = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter((x) => x && x !== errId);
      if (described.length) el.setAttribute('aria-describedby', described.join(' '));
      else el.removeAttribute('aria-describedby');
    }
  }
  for (const el of form.querySelectorAll('.field-error')) el.remove();
  const box = form.querySelector('[data-role="form-error"]');
  if (box) {
    box.hidden = true;
    box.replaceChildren();
  }
}

/** Shows `message` under `input` (aria-invalid + aria-describedby). */
export function showFieldError(input, message) {
  const errId = `${input.id || input.name.replace(/\W/g, '-')}-error`;
  input.dataset.errorId = errId;
  let p = document.getElementById(errId);
  if (!p) {
    p = h('p', { class: 'field-error', id: errId, 'data-testid': 'field-error' });
    const anchor = input.closest('.field') || input;
    anchor.append(p);
  }
  p.textContent = message;
  input.setAttribute('aria-invalid', 'true');
  const described = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
  if (!described.includes(errId)) described.push(errId);
  input.setAttribute('aria-describedby', described.join(' '));
}

/** Shows a message at the top of the form. */
export function showFormError(form, message, extra) {
  const box = formErrorBox(form);
  box.replaceChildren(h('p', null, message), extra || '');
  box.hidden = false;
  return box;
}

/**
 * Shows an API error where it belongs: next to the field it names (focused), else at the top.
 * Returns the element that shows it.
 */
export function showProblem(form, err, { focus = true } = {}) {
  const input = err instanceof ApiError ? findField(form, err.field) : null;
  const message = sentence(problemMessage(err), err instanceof ApiError && err.reason === 'validation'
    ? (input ? labelText(input) : humanField(err.field)) : '');
  if (input) {
    showFieldError(input, message);
    if (focus) input.focus();
    return input;
  }
  const box = showFormError(form, message);
  if (focus) box.focus();
  return box;
}

/** The visible text of an input's label ("Full name"), without hints like "(optional)". */
function labelText(input) {
  const label = input.labels && input.labels[0];
  if (!label) return humanField(input.name);
  const first = Array.from(label.childNodes).find((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
  return (first ? first.textContent : label.textContent).trim();
}

/** "shipping.postal_code" -> "Postal code". */
function humanField(field) {
  const last = String(field || '').replace(/\[\d+\]/g, '').split('.').filter(Boolean).pop() || '';
  const words = last.replace(/_/g, ' ').trim();
  return words ? words[0].toUpperCase() + words.slice(1) : '';
}

/**
 * The API's validation details are fragments ("must be 1 to 100 bytes"); with the field's
 * name in front they read as a sentence: "Full name must be 1 to 100 bytes."
 */
function sentence(message, subject) {
  let text = String(message || '').trim();
  if (subject && /^[a-z]/.test(text)) text = `${subject} ${text}`;
  if (text && !/[.!?]$/.test(text)) text += '.';
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/** problemMessage() as a sentence, naming `subject` when the API's detail is a fragment. */
export function describeProblem(err, subject) {
  return sentence(problemMessage(err), err instanceof ApiError && err.reason === 'validation' ? subject : '');
}

/** Client-side checks: [{input, message}] -> shows them, focuses the first. True when clean. */
export function showLocalErrors(errors) {
  for (const { input, message } of errors) showFieldError(input, message);
  if (errors.length) errors[0].input.focus();
  return errors.length === 0;
}

export const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
