import './style.css'
import { ApiError, api, type SessionInfo, setCsrf } from './api.js'
import { h } from './dom.js'
import type { DeviceRow, Overview, RateSample, View } from './types.js'
import { alertsView } from './views/alerts.js'
import { commandsView } from './views/commands.js'
import { deadLettersView } from './views/deadletters.js'
import { deviceView } from './views/device.js'
import { devicesView } from './views/devices.js'
import { loginView } from './views/login.js'
import { overviewView } from './views/overview.js'
import { rulesView } from './views/rules.js'

const main = document.getElementById('main') as HTMLElement
const live = document.getElementById('live') as HTMLElement
const who = document.getElementById('who') as HTMLElement
const badge = document.getElementById('firing-badge') as HTMLElement
let session: SessionInfo | null = null
let view: View | null = null
let stream: EventSource | null = null
/** Bumped on each navigation, so a slow view that finishes loading late does not replace a newer one. */
let generation = 0

async function open(): Promise<void> {
  const gen = ++generation
  const [name = 'overview', arg] = location.hash.replace(/^#\/?/, '').split('/')
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a'))
    a.classList.toggle('active', a.dataset.view === name)
  const canAct = session?.canAct ?? false
  try {
    const next =
      name === 'devices' && arg
        ? await deviceView(decodeURIComponent(arg), canAct)
        : name === 'devices'
          ? await devicesView()
          : name === 'alerts'
            ? await alertsView(canAct)
            : name === 'rules'
              ? await rulesView()
              : name === 'deadletters'
                ? await deadLettersView()
                : name === 'commands'
                  ? await commandsView(canAct)
                  : await overviewView()
    if (gen !== generation) return
    view?.close?.()
    view = next
    main.replaceChildren(next.el)
  } catch (err) {
    if (gen !== generation) return
    if (err instanceof ApiError && err.status === 401) return showLogin('')
    main.replaceChildren(h('p', { class: 'bad' }, (err as Error).message))
  }
}

function connect(): void {
  stream?.close()
  stream = new EventSource('/api/events')
  stream.addEventListener('open', () => live.classList.add('on'))
  stream.addEventListener('error', () => live.classList.remove('on'))
  stream.addEventListener('tick', (e) => {
    const { overview, sample } = JSON.parse((e as MessageEvent).data) as {
      overview: Overview
      sample: RateSample | null
    }
    badge.hidden = overview.alerts.firing === 0
    badge.textContent = String(overview.alerts.firing)
    view?.onTick?.(overview, sample)
  })
  stream.addEventListener('devices', (e) =>
    view?.onDevices?.(JSON.parse((e as MessageEvent).data) as DeviceRow[]),
  )
  stream.addEventListener('changed', (e) =>
    view?.onChanged?.(JSON.parse((e as MessageEvent).data) as string[]),
  )
}

function showLogin(message: string): void {
  stream?.close()
  stream = null
  who.replaceChildren()
  main.replaceChildren(loginView(message, (s) => start(s)))
}

function start(s: SessionInfo): void {
  session = s
  setCsrf(s.csrf)
  const logout = h('button', { class: 'link', id: 'logout' }, 'log out')
  logout.addEventListener('click', () => {
    void api('logout', {}).finally(() => location.reload())
  })
  who.replaceChildren(`${s.user} (${s.role})`, s.via === 'session' ? logout : '')
  connect()
  void open()
}

window.addEventListener('hashchange', () => void open())
api<SessionInfo>('session').then(start, (err: Error) => {
  if (err instanceof ApiError && err.status === 401) showLogin('')
  else showLogin(err.message)
})
