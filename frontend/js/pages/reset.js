// Set a new password with the token from the e-mailed link (#token=...).
// The token sits in the fragment, which browsers never send to a server.
import { api } from '../api.js';
import { $ } from '../dom.js';
import { clearErrors, onSubmit, showLocalErrors, showProblem } from '../forms.js';
import { initLayout } from '../layout.js';

const form = $('#reset-form');
const token = new URLSearchParams(window.location.hash.slice(1)).get('token') || '';
onSubmit(form, async () => {
  clearErrors(form);
  const password = form.elements.password.value;
  if (!showLocalErrors(password.length >= 12 ? [] : [{ input: form.elements.password, message: 'Use at least 12 characters.' }])) return;
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    await api('/auth/password-reset/confirm', { method: 'POST', body: { token, password } });
    form.hidden = true;
    $('#reset-done').hidden = false;
  } catch (err) {
    showProblem(form, err);
    button.disabled = false;
  }
});
initLayout('login');
