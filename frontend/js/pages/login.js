// Sign in.
import { $, params, safeNext } from '../dom.js';
import { clearErrors, onSubmit, showLocalErrors, showProblem, EMAIL_RE } from '../forms.js';
import { initLayout } from '../layout.js';
import { signIn } from '../auth.js';

const form = $('#login-form');
const next = safeNext(params().get('next'));
if (params().get('next')) $('#register-link').href = `register.html?next=${encodeURIComponent(next)}`;

let busy = false;
onSubmit(form, async () => {
  if (busy) return;
  clearErrors(form);
  const email = form.elements.email.value.trim();
  const password = form.elements.password.value;
  const errors = [];
  if (!EMAIL_RE.test(email)) errors.push({ input: form.elements.email, message: 'Enter your email address, like name@example.com.' });
  if (!password) errors.push({ input: form.elements.password, message: 'Enter your password.' });
  if (!showLocalErrors(errors)) return;
  busy = true;
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  button.textContent = 'Signing in…';
  try {
    await signIn(email, password);
    window.location.assign(next);
    return;
  } catch (err) {
    showProblem(form, err);
    form.elements.password.value = '';
  }
  busy = false;
  button.disabled = false;
  button.textContent = 'Sign in';
});

initLayout('login').then((user) => {
  if (user && !params().get('next')) {
    form.insertAdjacentElement('beforebegin', Object.assign(document.createElement('p'), {
      className: 'alert alert-info', textContent: `You are already signed in as ${user.email}.`,
    }));
  }
});
