// Sign-in shared by the login and register pages.
import { api } from './api.js';
import { setFlash } from './layout.js';

function mergeNotice(changes) {
  if (!Array.isArray(changes) || !changes.length) return '';
  const capped = changes.filter((c) => c.kind === 'capped_by_stock');
  const dropped = changes.filter((c) => c.kind === 'dropped');
  const parts = ['We added the watches from your guest cart to your account.'];
  if (capped.length) parts.push(`${capped.length === 1 ? 'One watch was' : `${capped.length} watches were`} reduced to the quantity we have in stock.`);
  if (dropped.length) parts.push(`${dropped.length === 1 ? 'One watch is' : `${dropped.length} watches are`} no longer available and ${dropped.length === 1 ? 'was' : 'were'} left out.`);
  return parts.join(' ');
}

/** POST /auth/login; the server sets the session cookie. Leaves a flash message for the next page. */
export async function signIn(email, password, welcome = 'You are signed in.') {
  const res = await api('/auth/login', { method: 'POST', body: { email, password } });
  const merge = res && res.cart_merge ? mergeNotice(res.cart_merge.changes) : '';
  setFlash(merge ? `${welcome} ${merge}` : welcome);
  return res;
}
