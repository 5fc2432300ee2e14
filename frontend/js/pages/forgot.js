// Ask for a password reset link. The reply is the same whether or not the
// address has an account.
import { api } from '../api.js';
import { $ } from '../dom.js';
import { clearErrors, onSubmit, showLocalErrors, showProblem, EMAIL_RE } from '../forms.js';
import { initLayout } from '../layout.js';

const form = $('#forgot-form');
onSubmit(form, async () => {
  clearErrors(form);
  const email = form.elements.email.value.trim();
  if (!showLocalErrors(EMAIL_RE.test(email) ? [] : [{ input: form.elements.email, message: 'Enter your email address, like name@example.com.' }])) return;
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    await api('/auth/password-reset', { method: 'POST', body: { email } });
    form.hidden = true;
    $('#forgot-done').hidden = false;
  } catch (err) {
    showProblem(form, err);
    button.disabled = false;
  }
});
initLayout('login');
