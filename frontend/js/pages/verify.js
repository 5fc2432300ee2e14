// Confirm an address with the token from the e-mailed link (#token=...).
import { api, problemMessage } from '../api.js';
import { $ } from '../dom.js';
import { initLayout } from '../layout.js';

const status = $('#verify-status');
const token = new URLSearchParams(window.location.hash.slice(1)).get('token') || '';
api('/auth/verify-email', { method: 'POST', body: { token } })
  .then((user) => { status.textContent = `Thank you: ${user.email} is confirmed.`; status.dataset.state = 'ok'; })
  .catch((err) => { status.textContent = problemMessage(err); status.dataset.state = 'error'; });
initLayout('account');
