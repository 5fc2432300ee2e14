// Create an account, then sign in with the same credentials.
import { api, ApiError } from '../api.js';
import { $, h, params, safeNext } from '../dom.js';
import { clearErrors, onSubmit, showLocalErrors, showProblem, showFormError, EMAIL_RE } from '../forms.js';
import { initLayout } from '../layout.js';
import { signIn } from '../auth.js';

const form = $('#register-form');
const next = safeNext(params().get('next'));
if (params().get('next')) $('#login-link').href = `login.html?next=${encodeURIComponent(next)}`;

let busy = false;
onSubmit(form, async () => {
  if (busy) return;
  clearErrors(form);
  const email = form.elements.email.value.trim();
  const password = form.elements.password.value;
  const errors = [];
  if (!EMAIL_RE.test(email)) errors.push({ input: form.elements.email, message: 'Enter your email address, like name@example.com.' });
  if (password.length < 12) errors.push({ input: form.elements.password, message: 'Use at least 12 characters.' });
  else if (password.toLowerCase() === email.toLowerCase()) errors.push({ input: form.elements.password, message: 'Your password cannot be your email address.' });
  if (!showLocalErrors(errors)) return;

  busy = true;
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  button.textContent = 'Creating your account…';
  try {
    await api('/auth/register', { method: 'POST', body: { email, password } });
  } catch (err) {
    showProblem(form, err);
    busy = false;
    button.disabled = false;
    button.textContent = 'Create account';
    return;
  }
  try {
    await signIn(email, password, 'Welcome to Watchstore. Your account is ready.');
    window.location.assign(next);
    return;
  } catch (err) {
    if (err instanceof ApiError && err.reason === 'invalid_credentials') {
      // Registration never says whether the email was taken; a failed sign-in is the hint.
      showFormError(form, 'We could not sign you in with that email and password. If you already have an account, sign in with your existing password.',
        h('p', null, h('a', { href: `login.html${params().get('next') ? `?next=${encodeURIComponent(next)}` : ''}` }, 'Go to sign in'))).focus();
    } else {
      showProblem(form, err);
    }
  }
  busy = false;
  button.disabled = false;
  button.textContent = 'Create account';
});

initLayout('register');
