// The account page: email and its verification, e-mail change, password change.
import { api } from '../api.js';
import { $ } from '../dom.js';
import { clearErrors, onSubmit, showLocalErrors, showProblem, EMAIL_RE } from '../forms.js';
import { announce, initLayout, requireSignIn } from '../layout.js';

function show(user) {
  $('#account-email').textContent = user.email;
  $('#account-verified').textContent = user.email_verified ? 'confirmed' : 'not confirmed yet';
  $('#resend-verification').hidden = !!user.email_verified;
}

function handle(form, check, send, done) {
  onSubmit(form, async () => {
    clearErrors(form);
    if (!showLocalErrors(check())) return;
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      await send();
      form.reset();
      announce(done);
      form.insertAdjacentElement('afterend', Object.assign(document.createElement('p'), {
        className: 'alert alert-info', textContent: done,
      }));
    } catch (err) {
      showProblem(form, err);
    }
    button.disabled = false;
  });
}

initLayout('account').then(async (user) => {
  if (!requireSignIn(user, 'account.html')) return;
  show(await api('/auth/me'));
  const emailForm = $('#email-form');
  handle(emailForm,
    () => (EMAIL_RE.test(emailForm.elements.email.value.trim()) ? [] : [{ input: emailForm.elements.email, message: 'Enter an email address, like name@example.com.' }]),
    () => api('/auth/email', { method: 'POST', body: { email: emailForm.elements.email.value.trim(), password: emailForm.elements.password.value } }),
    'Check the new address: the change happens when you open the link we sent there.');
  const passwordForm = $('#password-form');
  handle(passwordForm,
    () => (passwordForm.elements.new_password.value.length >= 12 ? [] : [{ input: passwordForm.elements.new_password, message: 'Use at least 12 characters.' }]),
    () => api('/auth/password', { method: 'POST', body: { current_password: passwordForm.elements.current_password.value, new_password: passwordForm.elements.new_password.value } }),
    'Your password is changed. Your other devices are signed out.');
  $('#resend-verification').addEventListener('click', async () => {
    await api('/auth/verify-email/resend', { method: 'POST' });
    announce('A new confirmation link is on its way.');
  });
});
