import { AlignedWindower } from './window-aligned.js'
import type { Windower, WindowOutput, WindowPlan } from './window-base.js'
import { CountWindower } from './window-count.js'
import { SessionWindower } from './window-session.js'
import { SlidingWindower } from './window-sliding.js'

export type { Windower, WindowOutput, WindowPlan, WindowResult } from './window-base.js'

export function createWindower(plan: WindowPlan, out: WindowOutput): Windower {
  switch (plan.kind) {
    case 'tumbling':
    case 'hopping':
      return new AlignedWindower(plan, out)
    case 'session':
      return new SessionWindower(plan, out)
    case 'sliding':
      return new SlidingWindower(plan, out)
    case 'count':
      return new CountWindower(plan, out)
  }
}
