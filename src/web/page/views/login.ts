import { api, type SessionInfo } from '../api.js'
import { h } from '../dom.js'

/** The login form: the broker's users (mqtt.auth.users); a session cookie on success. */
export function loginView(message: string, onLogin: (s: SessionInfo) => void): HTMLElement {
  const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true })
  const pass = h('input', {
    id: 'login-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
  })
  const note = h(
    'p',
    { id: 'login-message', class: message ? 'bad' : 'muted' },
    message || 'Log in with a broker user (mqtt.auth.users).',
  )
  const form = h(
    'form',
    { id: 'login-form', class: 'login' },
    h('h1', {}, 'Log in'),
    note,
    h('label', {}, 'User ', user),
    h('label', {}, 'Password ', pass),
    h('button', { type: 'submit' }, 'Log in'),
  )
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    api<SessionInfo>('login', { username: user.value, password: pass.value }).then(onLogin, (err: Error) => {
      note.textContent = err.message
      note.className = 'bad'
    })
  })
  return form
}
